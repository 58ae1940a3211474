package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.server.security.TokenFile;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One client at 20 times its write limit while 50 relays heartbeat on schedule, against the real
 * jar with bearer tokens: the flood is answered RESOURCE_EXHAUSTED with a retry pushback, and the
 * relays see no failure and a p99 under 50 ms. Their p99 before and after the flood is the baseline,
 * reported next to it; when the machine is too busy for the baseline to be under 25 ms, the 50 ms
 * check is reported as aborted rather than passed or failed.
 */
class RateLimitJarIT {

    private static final Path JAR = Path.of(System.getProperty("registry.jar", "target/relay-registry.jar"));
    private static final int RELAYS = 50;
    private static final long HEARTBEAT_MILLIS = 500;
    private static final int FLOOD_LIMIT_PER_SECOND = 10;
    private static final int FLOOD_CALLS_PER_SECOND = 20 * FLOOD_LIMIT_PER_SECOND;
    private static final long BASELINE_MILLIS = 1_500;
    private static final long FLOOD_MILLIS = 5_000;

    @Test
    void a_flooding_client_is_held_to_its_limit_and_other_relays_do_not_notice(@TempDir Path dir) throws Exception {
        StringBuilder tokens = new StringBuilder(TokenFile.hashOf("flood-token") + " relay flooder\n");
        for (int i = 0; i < RELAYS; i++) {
            tokens.append(TokenFile.hashOf("relay-token-" + i)).append(" relay relay-").append(i).append('\n');
        }
        Path tokenFile = Files.writeString(dir.resolve("tokens"), tokens);
        Path policy = Files.writeString(dir.resolve("policy.json"), """
                {"rate_limits": {"identities": {"flooder": {"writes_per_second": %d, "write_burst": %d, "reads_per_second": 1, "read_burst": 1}}}}
                """.formatted(FLOOD_LIMIT_PER_SECOND, FLOOD_LIMIT_PER_SECOND));

        List<ManagedChannel> channels = new ArrayList<>();
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
        try (RegistryProcess registry = RegistryProcess.fromJar(JAR, List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0",
                "--auth-token-file", tokenFile.toString(), "--auth-policy", policy.toString(), "--auth-allow-plaintext-loopback"))) {
            int port = registry.port();
            List<AeroRegistryGrpc.AeroRegistryFutureStub> relays = new ArrayList<>();
            for (int i = 0; i < RELAYS; i++) {
                ManagedChannel channel = channel(port, "relay-token-" + i);
                channels.add(channel);
                AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).registerRelay(RegisterRelayRequest.newBuilder()
                        .setRelay(Relay.newBuilder().setRelayId("relay-" + i).setAddress("10.0.0." + i).setGrpcPort(7443)).build());
                relays.add(AeroRegistryGrpc.newFutureStub(channel));
            }
            ManagedChannel floodChannel = channel(port, "flood-token");
            channels.add(floodChannel);
            AeroRegistryGrpc.newBlockingStub(floodChannel).withDeadlineAfter(10, TimeUnit.SECONDS).registerRelay(RegisterRelayRequest.newBuilder()
                    .setRelay(Relay.newBuilder().setRelayId("flooder").setAddress("10.0.1.1").setGrpcPort(7443)).build());

            AtomicReference<Phase> phase = new AtomicReference<>(new Phase());
            for (int i = 0; i < RELAYS; i++) {
                AeroRegistryGrpc.AeroRegistryFutureStub relay = relays.get(i);
                HeartbeatRelayRequest heartbeat = HeartbeatRelayRequest.newBuilder().setRelayId("relay-" + i).build();
                scheduler.scheduleAtFixedRate(() -> {
                    Phase into = phase.get();
                    long start = System.nanoTime();
                    whenDone(relay.withDeadlineAfter(5, TimeUnit.SECONDS).heartbeatRelay(heartbeat),
                            () -> into.latencies.add(System.nanoTime() - start),
                            failure -> into.failures.add(Status.fromThrowable(failure).toString()));
                }, i * HEARTBEAT_MILLIS / RELAYS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
            }
            Thread.sleep(BASELINE_MILLIS);
            Phase before = phase.getAndSet(new Phase());

            AeroRegistryGrpc.AeroRegistryFutureStub flooder = AeroRegistryGrpc.newFutureStub(floodChannel);
            HeartbeatRelayRequest floodCall = HeartbeatRelayRequest.newBuilder().setRelayId("flooder").build();
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger limited = new AtomicInteger();
            AtomicInteger withPushback = new AtomicInteger();
            Queue<String> otherFloodOutcomes = new ConcurrentLinkedQueue<>();
            long floodStart = System.nanoTime();
            var flood = scheduler.scheduleAtFixedRate(() -> whenDone(flooder.withDeadlineAfter(5, TimeUnit.SECONDS).heartbeatRelay(floodCall),
                    accepted::incrementAndGet,
                    failure -> {
                        Status status = Status.fromThrowable(failure);
                        Metadata trailers = Status.trailersFromThrowable(failure);
                        if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                            limited.incrementAndGet();
                            String pushback = trailers == null ? null : trailers.get(Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER));
                            if (pushback != null && Long.parseLong(pushback) > 0) {
                                withPushback.incrementAndGet();
                            }
                        } else {
                            otherFloodOutcomes.add(status.toString());
                        }
                    }), 0, 1_000_000 / FLOOD_CALLS_PER_SECOND, TimeUnit.MICROSECONDS);
            Thread.sleep(FLOOD_MILLIS);
            flood.cancel(false);
            double floodSeconds = (System.nanoTime() - floodStart) / 1e9;
            Phase underFlood = phase.getAndSet(new Phase());
            Thread.sleep(BASELINE_MILLIS);
            Phase after = phase.getAndSet(new Phase());
            scheduler.shutdown();
            assertThat(scheduler.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(1_000); // the last answers arrive

            // The quiet phases before and after the flood are the baseline: the machine's own load drifts.
            long baselineP99 = Math.max(p99Micros(before.latencies), p99Micros(after.latencies));
            long floodP99 = p99Micros(underFlood.latencies);
            System.out.printf("rate limit: quiet p99 %.2f ms before, %.2f ms after; baseline %d heartbeats p99 %.2f ms; under flood %d heartbeats p99 %.2f ms (%.2fx); "
                            + "flood %d calls in %.1f s: %d accepted, %d RESOURCE_EXHAUSTED (%d with pushback)%n",
                    p99Micros(before.latencies) / 1000.0, p99Micros(after.latencies) / 1000.0, before.latencies.size() + after.latencies.size(),
                    baselineP99 / 1000.0, underFlood.latencies.size(), floodP99 / 1000.0, (double) floodP99 / Math.max(1, baselineP99),
                    accepted.get() + limited.get() + otherFloodOutcomes.size(), floodSeconds, accepted.get(), limited.get(), withPushback.get());

            // What the server decides holds whatever the machine's load: never more than the limit lets through,
            // every refusal with its pushback, one warning per episode.
            assertThat(otherFloodOutcomes).isEmpty();
            assertThat(accepted.get()).isLessThanOrEqualTo((int) (FLOOD_LIMIT_PER_SECOND * (floodSeconds + 1)) + FLOOD_LIMIT_PER_SECOND);
            assertThat(limited.get()).isGreaterThan((int) (FLOOD_CALLS_PER_SECOND * floodSeconds * 0.5));
            assertThat(withPushback.get()).isEqualTo(limited.get());
            assertThat(registry.output).filteredOn(line -> line.contains("identity flooder is over its rate limit")).hasSize(1);
            registry.terminate();
            assertThat(registry.awaitExit()).isZero();

            // On a machine so busy that the relays' p99 is above half the target without any flood (other builds
            // on the same two cores), the 50 ms target cannot be judged: reported as aborted, not passed.
            assumeTrue(baselineP99 < 25_000 && before.failures.isEmpty() && after.failures.isEmpty(),
                    () -> "machine too busy to judge the 50 ms target: quiet p99 " + baselineP99 / 1000.0 + " ms, quiet failures "
                            + before.failures + after.failures);
            assertThat(underFlood.failures).isEmpty();
            assertThat(underFlood.latencies).hasSizeGreaterThan((int) (RELAYS * FLOOD_MILLIS / HEARTBEAT_MILLIS * 0.9));
            assertThat(accepted.get()).isGreaterThanOrEqualTo((int) (FLOOD_LIMIT_PER_SECOND * floodSeconds * 0.8));
            assertThat(floodP99).as("p99 of the relays' heartbeats under the flood, µs (quiet: %d µs)", baselineP99).isLessThan(50_000);
        } finally {
            scheduler.shutdownNow();
            for (ManagedChannel channel : channels) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** The relays' heartbeats of one phase of the test. */
    private static final class Phase {
        final Queue<Long> latencies = new ConcurrentLinkedQueue<>();
        final Queue<String> failures = new ConcurrentLinkedQueue<>();
    }

    private static ManagedChannel channel(int port, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }

    private static <T> void whenDone(ListenableFuture<T> future, Runnable onSuccess, java.util.function.Consumer<Throwable> onFailure) {
        Futures.addCallback(future, new FutureCallback<T>() {
            @Override
            public void onSuccess(T result) {
                onSuccess.run();
            }

            @Override
            public void onFailure(Throwable failure) {
                onFailure.accept(failure);
            }
        }, MoreExecutors.directExecutor());
    }

    private static long p99Micros(Queue<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1000;
    }
}
