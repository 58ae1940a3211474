package io.aeroarc.registry.bench;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.PlacementEvent;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentResponse;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.api.v1.RemovalReason;
import io.aeroarc.registry.api.v1.WatchAgentsRequest;
import io.aeroarc.registry.api.v1.WatchAgentsResponse;
import io.aeroarc.registry.api.v1.WatchEventType;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * Watch streams under load (issue 14's targets), on a memory registry of its own: rounds with few
 * and with many watchers of every placement, each while a writer registers new agents at a fixed
 * rate. Every registration is an ADDED event for each watcher and, one agent TTL later (no
 * heartbeats), an EXPIRED one. Measured per round: the event latency from the write's answer to a
 * watcher's receipt, the expiry lag from the placement's expiry to a watcher's receipt, and the
 * registry's CPU per delivered event (per event and watcher). The per-agent fleet does not run
 * here: the latencies are those of an otherwise idle registry.
 */
final class WatchBench {

    static final int STREAMS_PER_CONNECTION = 50;
    static final Duration IDLE_SAMPLE = Duration.ofSeconds(3);

    record Settings(List<Integer> watcherCounts, int writesPerSecond, Duration writing, Duration agentTtl) {}

    /**
     * @param eventLatency write answered -> ADDED received, every watcher's receipts
     * @param expiryLag placement's expiry -> EXPIRED received (milliseconds resolution)
     * @param cpuMicrosPerDelivery registry CPU from the first write until every watcher had every expiry, less its idle CPU
     *     ({@code idleRegistryCores}, measured just before), per delivered event (an event to one watcher)
     */
    record Round(int watchers, long writes, long delivered, long receivedBeforeAnswer, Latency eventLatency, Latency expiryLag,
            double seconds, double registryCores, double idleRegistryCores, double cpuMicrosPerDelivery) {}

    /**
     * @param cpuRatio CPU per delivery with the most watchers over that with the fewest (target: at most 1.5). With few
     *     watchers the write path (the registrations, the expiries) dominates, so it falls with more watchers
     * @param marginalCpuMicrosPerDelivery the extra registry CPU of the most watchers over the fewest, per extra delivery:
     *     what one more watcher costs per event
     */
    record Result(Settings settings, List<Round> rounds, double cpuRatio, double marginalCpuMicrosPerDelivery) {}

    private WatchBench() {}

    static Result run(RegistryLauncher launcher, Path directory, Settings settings, Progress progress) throws Exception {
        try (RegistryProcess registry = launcher.start("watch", "memory", Map.of(), Duration.ofMinutes(30), settings.agentTtl(), directory,
                Optional.empty(), List.of("--max-watchers", "100000"))) {
            ManagedChannel writerChannel = channel(registry.port());
            try {
                AeroRegistryGrpc.AeroRegistryBlockingStub writer = AeroRegistryGrpc.newBlockingStub(writerChannel);
                for (int r = 0; r < 10; r++) {
                    writer.withDeadlineAfter(5, TimeUnit.SECONDS).registerRelay(RegisterRelayRequest.newBuilder()
                            .setRelay(Relay.newBuilder().setRelayId(Ids.relay(r)).setAddress("10.0.0." + (r + 1)).setGrpcPort(7443)).build());
                }
                List<Round> rounds = new ArrayList<>();
                for (int watchers : settings.watcherCounts()) {
                    rounds.add(round(registry, writer, watchers, settings, progress));
                }
                Round few = rounds.get(0);
                Round many = rounds.get(rounds.size() - 1);
                double ratio = many.cpuMicrosPerDelivery() / few.cpuMicrosPerDelivery();
                double marginal = (many.cpuMicrosPerDelivery() * many.delivered() - few.cpuMicrosPerDelivery() * few.delivered())
                        / Math.max(1, many.delivered() - few.delivered());
                progress.say(String.format("watch: CPU per delivered event, %d watchers over %d: %.2fx (target <= 1.5x); "
                        + "marginal CPU per extra delivery %.2f us", many.watchers(), few.watchers(), ratio, marginal));
                return new Result(settings, rounds, ratio, marginal);
            } finally {
                writerChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static Round round(RegistryProcess registry, AeroRegistryGrpc.AeroRegistryBlockingStub writer, int watchers, Settings settings,
            Progress progress) throws InterruptedException {
        String prefix = "w" + watchers + "-";
        Map<String, Long> answeredNanos = new ConcurrentHashMap<>();
        Map<String, Long> expiresAtMs = new ConcurrentHashMap<>();
        ConcurrentHistogram latency = new ConcurrentHistogram(3);
        ConcurrentHistogram lag = new ConcurrentHistogram(3);
        AtomicInteger caughtUp = new AtomicInteger();
        AtomicLong added = new AtomicLong();
        AtomicLong expired = new AtomicLong();
        AtomicLong early = new AtomicLong();
        List<ManagedChannel> channels = new ArrayList<>();
        List<Context.CancellableContext> calls = new ArrayList<>();
        try {
            ManagedChannel channel = null;
            for (int w = 0; w < watchers; w++) {
                if (w % STREAMS_PER_CONNECTION == 0) {
                    channel = channel(registry.port());
                    channels.add(channel);
                }
                Context.CancellableContext call = Context.current().withCancellation();
                ManagedChannel on = channel;
                call.run(() -> AeroRegistryGrpc.newStub(on).watchAgents(WatchAgentsRequest.getDefaultInstance(), new StreamObserver<>() {
                    @Override
                    public void onNext(WatchAgentsResponse response) {
                        if (response.hasSnapshotEnd()) {
                            caughtUp.incrementAndGet();
                        }
                        for (PlacementEvent event : response.getEvents().getEventsList()) {
                            String agent = event.getPlacement().getAgentId();
                            if (!agent.startsWith(prefix)) {
                                continue; // an expiry of the round before
                            }
                            if (event.getType() == WatchEventType.WATCH_EVENT_TYPE_ADDED) {
                                long now = System.nanoTime();
                                Long answered = answeredNanos.get(agent);
                                if (answered == null || answered > now) {
                                    early.incrementAndGet(); // the event overtook the write's answer
                                    latency.recordValue(0);
                                } else {
                                    latency.recordValue(now - answered);
                                }
                                added.incrementAndGet();
                            } else if (event.getType() == WatchEventType.WATCH_EVENT_TYPE_REMOVED
                                    && event.getReason() == RemovalReason.REMOVAL_REASON_EXPIRED) {
                                Long expiry = expiresAtMs.get(agent);
                                if (expiry != null) {
                                    lag.recordValue(Math.max(0, System.currentTimeMillis() - expiry) * 1_000_000);
                                }
                                expired.incrementAndGet();
                            }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                }));
                calls.add(call);
            }
            awaitUntil(() -> caughtUp.get() == watchers, Duration.ofMinutes(2), "every watcher past its snapshot");
            int writes = (int) (settings.writesPerSecond() * settings.writing().toMillis() / 1000);
            long intervalNanos = 1_000_000_000L / settings.writesPerSecond();
            CpuMeter cpu = new CpuMeter(registry.pid());
            // What the registry burns with these watchers connected and nothing happening (its feed's
            // tick, GC, the JIT): subtracted, so the CPU per delivery is what the events cost.
            CpuMeter.Sample idleStart = cpu.sample();
            Thread.sleep(IDLE_SAMPLE.toMillis());
            double idleCores = cpu.since(idleStart).registryCores();
            CpuMeter.Sample start = cpu.sample();
            long startNanos = System.nanoTime();
            for (int i = 0; i < writes; i++) {
                long due = startNanos + i * intervalNanos;
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(due - System.nanoTime());
                }
                String agent = prefix + Ids.agent(i);
                RegisterAgentResponse answer = writer.withDeadlineAfter(5, TimeUnit.SECONDS).registerAgent(RegisterAgentRequest.newBuilder()
                        .setAgent(Agent.newBuilder().setAgentId(agent)).setRelayId(Ids.relay(i % 10)).build());
                answeredNanos.put(agent, System.nanoTime());
                expiresAtMs.put(agent, answer.getExpiresAtUnixMs());
            }
            long deliveries = (long) writes * watchers;
            awaitUntil(() -> expired.get() >= deliveries, settings.agentTtl().plus(Duration.ofMinutes(2)), "every expiry at every watcher");
            CpuUse used = cpu.since(start);
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double cpuMicros = Math.max(0, used.registryCores() - idleCores) * seconds * 1e6 / (2.0 * deliveries);
            Round round = new Round(watchers, writes, added.get() + expired.get(), early.get(), Latency.of(latency), Latency.of(lag), seconds,
                    used.registryCores(), idleCores, cpuMicros);
            progress.say(String.format("watch: %d watchers, %d writes: event latency p50 %.1f ms p99 %.1f ms; expiry lag p50 %.0f ms p99 %.0f ms "
                    + "max %.0f ms; registry %.2f cores (%.2f idle), %.2f us CPU per delivered event", watchers, writes,
                    round.eventLatency().p50Micros() / 1000, round.eventLatency().p99Micros() / 1000, round.expiryLag().p50Micros() / 1000,
                    round.expiryLag().p99Micros() / 1000, round.expiryLag().maxMicros() / 1000, used.registryCores(), idleCores, cpuMicros));
            return round;
        } finally {
            calls.forEach(call -> call.cancel(null));
            for (ManagedChannel channel : channels) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition, Duration atMost, String what) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("watch: gave up waiting for " + what + " after " + atMost);
            }
            Thread.sleep(20);
        }
    }

    private static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }
}
