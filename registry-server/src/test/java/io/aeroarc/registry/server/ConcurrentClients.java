package io.aeroarc.registry.server;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.ListRelaysRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients that each act as one relay: register, then heartbeat, read itself and list, one call at
 * a time with a pause between calls; a relay told it is not live registers again. Every answer is
 * recorded with its start and end.
 */
final class ConcurrentClients implements AutoCloseable {

    /** One answered call; times are System.nanoTime(). */
    record Answer(String method, long startNanos, long endNanos, Status.Code code, String description) {
        long millis() {
            return (endNanos - startNanos) / 1_000_000;
        }
    }

    /**
     * Four clients share a connection, as relays behind one proxy might: each has at most one list
     * call open, so no connection exceeds the server's per-connection cap on list calls built at once.
     */
    private static final int CHANNELS = 50;

    private final List<ManagedChannel> channels = new ArrayList<>();
    private final ScheduledExecutorService pacer = Executors.newScheduledThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "fault-clients");
        thread.setDaemon(true);
        return thread;
    });
    private final Queue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final long pauseMillis;
    private final long deadlineMillis;
    private volatile boolean running;

    ConcurrentClients(int port, long pauseMillis, long deadlineMillis) {
        for (int i = 0; i < CHANNELS; i++) {
            channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build());
        }
        this.pauseMillis = pauseMillis;
        this.deadlineMillis = deadlineMillis;
    }

    /** Starts {@code count} clients, relays {@code prefix-0}... */
    void start(int count, String prefix) {
        running = true;
        for (int i = 0; i < count; i++) {
            Client client = new Client(prefix + "-" + i, AeroRegistryGrpc.newFutureStub(channels.get(i % CHANNELS)));
            pacer.schedule(client::next, i % 50, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops issuing calls and waits for those in flight. */
    void stop() throws InterruptedException {
        running = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis + 5000);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    List<Answer> answers() {
        return new ArrayList<>(answers);
    }

    /** How many answers of each status and description, for failure messages. */
    static String summary(List<Answer> answers) {
        java.util.Map<String, Long> counts = new java.util.TreeMap<>();
        answers.forEach(a -> counts.merge(a.code() + " " + a.description(), 1L, Long::sum));
        return counts.toString();
    }

    void clearAnswers() {
        answers.clear();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        pacer.shutdownNow();
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private final class Client {
        private final String relayId;
        private final AeroRegistryGrpc.AeroRegistryFutureStub stub;
        private boolean registered;
        private int turn;

        Client(String relayId, AeroRegistryGrpc.AeroRegistryFutureStub stub) {
            this.relayId = relayId;
            this.stub = stub;
        }

        void next() {
            if (!running) {
                return;
            }
            AeroRegistryGrpc.AeroRegistryFutureStub bounded = stub.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
            String method;
            ListenableFuture<?> call;
            if (!registered) {
                method = "RegisterRelay";
                call = bounded.registerRelay(RegisterRelayRequest.newBuilder()
                        .setRelay(Relay.newBuilder().setRelayId(relayId).setAddress("10.0.0.1").setGrpcPort(7443)).build());
            } else {
                switch (turn++ % 4) {
                    case 0, 1 -> {
                        method = "HeartbeatRelay";
                        call = bounded.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId(relayId).build());
                    }
                    case 2 -> {
                        method = "GetRelay";
                        call = bounded.getRelay(GetRelayRequest.newBuilder().setRelayId(relayId).build());
                    }
                    default -> {
                        method = "ListRelays";
                        call = bounded.listRelays(ListRelaysRequest.newBuilder().setPageSize(20).build());
                    }
                }
            }
            long start = System.nanoTime();
            inFlight.incrementAndGet();
            Futures.addCallback(call, new FutureCallback<Object>() {
                @Override
                public void onSuccess(Object result) {
                    done(Status.Code.OK, "");
                }

                @Override
                public void onFailure(Throwable failure) {
                    Status status = Status.fromThrowable(failure);
                    done(status.getCode(), String.valueOf(status.getDescription()));
                }

                private void done(Status.Code code, String description) {
                    answers.add(new Answer(method, start, System.nanoTime(), code, description));
                    if (code == Status.Code.OK && method.equals("RegisterRelay")) {
                        registered = true;
                    } else if (code == Status.Code.NOT_FOUND) {
                        registered = false;
                    }
                    inFlight.decrementAndGet();
                    if (running) {
                        pacer.schedule(Client.this::next, pauseMillis, TimeUnit.MILLISECONDS);
                    }
                }
            }, MoreExecutors.directExecutor());
        }
    }
}
