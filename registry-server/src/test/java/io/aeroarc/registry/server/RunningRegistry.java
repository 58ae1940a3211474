package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.RegistryBackend;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A real registry server on an ephemeral loopback port, with a plaintext channel to it. */
final class RunningRegistry implements AutoCloseable {

    final RegistryServer server;
    final ManagedChannel channel;

    RunningRegistry(RegistryBackend backend, RegistrySettings settings, Duration shutdownTimeout) {
        this(backend, settings, shutdownTimeout, CallLimits.defaults());
    }

    RunningRegistry(RegistryBackend backend, RegistrySettings settings, Duration shutdownTimeout, CallLimits limits) {
        this(backend, settings, shutdownTimeout, limits, WatchLimits.defaults());
    }

    RunningRegistry(RegistryBackend backend, RegistrySettings settings, Duration shutdownTimeout, CallLimits limits, WatchLimits watchLimits) {
        server = new RegistryServer(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), "test", backend, settings,
                shutdownTimeout, limits, java.util.Optional.empty(),
                io.aeroarc.registry.server.security.Security.from(io.aeroarc.registry.server.security.SecurityConfig.none()), Telemetry.off(),
                watchLimits).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    AeroRegistryGrpc.AeroRegistryBlockingStub registry() {
        return AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    ServingStatus health(String service) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.stop();
    }
}
