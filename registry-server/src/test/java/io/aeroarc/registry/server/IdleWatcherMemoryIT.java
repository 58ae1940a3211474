package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.api.v1.WatchAgentsRequest;
import io.aeroarc.registry.api.v1.WatchAgentsResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Bytes of server heap per idle watch stream: a registry in its own JVM, its live heap (after a
 * full GC, from {@code jcmd GC.class_histogram}) with one watch opened and closed, then with
 * {@value #WATCHERS} idle watches (each past its snapshot), spread over connections within the
 * 100-streams-per-connection limit. Connections are counted in: a client with this many watches
 * needs them.
 */
class IdleWatcherMemoryIT {

    static final int WATCHERS = 10_000;
    static final int STREAMS_PER_CONNECTION = 80;
    /** A bound well above the measurement, so a regression that keeps a backlog or a snapshot per idle stream fails. */
    static final long MAX_BYTES_PER_WATCHER = 16 * 1024;

    @Test
    void ten_thousand_idle_watchers_cost_little_heap() throws Exception {
        try (RegistryProcess registry = RegistryProcess.fromClassPath(List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0",
                "--log-level", "info"))) {
            int port = registry.port();
            List<ManagedChannel> channels = new ArrayList<>();
            List<Context.CancellableContext> calls = new ArrayList<>();
            try {
                ManagedChannel first = channel(port);
                channels.add(first);
                AeroRegistryGrpc.AeroRegistryBlockingStub stub = AeroRegistryGrpc.newBlockingStub(first);
                for (int r = 0; r < 10; r++) {
                    stub.registerRelay(RegisterRelayRequest.newBuilder().setRelay(Relay.newBuilder().setRelayId("relay-" + r)
                            .setAddress("10.0.0." + r).setGrpcPort(7000)).build());
                }
                for (int a = 0; a < 100; a++) {
                    stub.registerAgent(RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId("agent-" + a))
                            .setRelayId("relay-" + a % 10).build());
                }
                AtomicInteger caughtUp = new AtomicInteger();
                // One watch opens the hub (the feed and the view); the baseline includes them.
                Context.CancellableContext opener = watch(first, caughtUp);
                await().atMost(Duration.ofSeconds(30)).until(() -> caughtUp.get() == 1);
                opener.cancel(null);
                long baseline = liveHeap(registry.process.pid());

                caughtUp.set(0);
                ManagedChannel channel = null;
                for (int i = 0; i < WATCHERS; i++) {
                    if (i % STREAMS_PER_CONNECTION == 0) {
                        channel = channel(port);
                        channels.add(channel);
                    }
                    calls.add(watch(channel, caughtUp));
                }
                await().atMost(Duration.ofMinutes(2)).until(() -> caughtUp.get() == WATCHERS);
                long withWatchers = liveHeap(registry.process.pid());
                double perWatcher = (withWatchers - baseline) / (double) WATCHERS;
                System.out.printf("IDLE-WATCHERS %d watchers over %d connections: live heap %d -> %d bytes, %.0f bytes per idle watcher%n",
                        WATCHERS, channels.size() - 1, baseline, withWatchers, perWatcher);
                assertThat(perWatcher).isPositive().isLessThan(MAX_BYTES_PER_WATCHER);
            } finally {
                calls.forEach(call -> call.cancel(null));
                for (ManagedChannel channel : channels) {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    /** A watch of every placement that counts itself once past its snapshot. */
    private static Context.CancellableContext watch(ManagedChannel channel, AtomicInteger caughtUp) {
        Context.CancellableContext context = Context.current().withCancellation();
        context.run(() -> AeroRegistryGrpc.newStub(channel).watchAgents(WatchAgentsRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(WatchAgentsResponse response) {
                if (response.hasSnapshotEnd()) {
                    caughtUp.incrementAndGet();
                }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        }));
        return context;
    }

    /** Bytes of live objects in the JVM {@code pid}: its class histogram runs a full GC first. */
    static long liveHeap(long pid) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid),
                "GC.class_histogram").redirectErrorStream(true).start();
        String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
            throw new AssertionError("jcmd failed: " + output);
        }
        for (String line : output.split("\n")) {
            String trimmed = line.trim();
            if (trimmed.startsWith("Total")) {
                String[] parts = trimmed.split("\\s+");
                return Long.parseLong(parts[2]);
            }
        }
        throw new AssertionError("no total in jcmd's histogram: " + output);
    }
}
