package io.aeroarc.registry.bench;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plaintext gRPC connections to one registry, with calls spread over them in turn.
 *
 * <p>Responses are handled on the transport's own threads ({@code directExecutor}): the load
 * generator's callbacks only record a number and start the next call, and on two shared cores a
 * thread hop per call would cost the client more than it measures.
 */
final class RegistryClient implements AutoCloseable {

    private static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<AeroRegistryGrpc.AeroRegistryFutureStub> registries = new ArrayList<>();
    private final List<HealthGrpc.HealthFutureStub> healths = new ArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();
    private final Duration deadline;

    private RegistryClient(Target target, int connections, Duration deadline, List<ClientInterceptor> interceptors) {
        this.deadline = deadline;
        for (int i = 0; i < connections; i++) {
            // The retry policy clients are told to use, so the bench's clients behave as theirs do.
            ManagedChannel channel = NettyChannelBuilder.forAddress(target.host(), target.port())
                    .usePlaintext()
                    .directExecutor()
                    .maxInboundMessageSize(MAX_RESPONSE_BYTES)
                    .defaultServiceConfig(RetryServiceConfig.load())
                    .enableRetry()
                    .intercept(interceptors)
                    .build();
            channels.add(channel);
            registries.add(AeroRegistryGrpc.newFutureStub(channel));
            healths.add(HealthGrpc.newFutureStub(channel));
        }
    }

    /** Host and port of a registry, from {@code host:port}. */
    record Target(String host, int port) {
        static Target parse(String text) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("--target takes host:port, was '" + text + "'");
            }
            try {
                return new Target(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--target takes host:port, was '" + text + "'");
            }
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /**
     * Opens {@code connections} connections and checks each answers a health check.
     *
     * @param deadline for every call; a call never waits longer
     */
    static RegistryClient connect(Target target, int connections, Duration deadline) {
        return connect(target, connections, deadline, List.of());
    }

    /** @param interceptors on every call, such as a counter of attempts */
    static RegistryClient connect(Target target, int connections, Duration deadline, List<ClientInterceptor> interceptors) {
        RegistryClient client = new RegistryClient(target, connections, deadline, interceptors);
        try {
            for (HealthGrpc.HealthFutureStub health : client.healths) {
                health.withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).get();
            }
        } catch (Exception e) {
            client.close();
            throw new IllegalStateException("registry at " + target + " does not answer: " + e.getMessage(), e);
        }
        return client;
    }

    int connections() {
        return channels.size();
    }

    /** The registry stub of the next connection in turn, with the call deadline set. */
    AeroRegistryGrpc.AeroRegistryFutureStub registry() {
        return registries.get(nextIndex()).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The health stub of the next connection in turn, with the call deadline set. */
    HealthGrpc.HealthFutureStub health() {
        return healths.get(nextIndex()).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    private int nextIndex() {
        return Math.floorMod(turn.getAndIncrement(), channels.size());
    }

    @Override
    public void close() {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
        for (ManagedChannel channel : channels) {
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
