package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.ListRelaysRequest;
import io.aeroarc.registry.core.BackendLoader;
import io.aeroarc.registry.server.security.TokenFile;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Policy switches that the jar tests leave out: reflection off, health open, no token no call. */
class SecurityPolicyTest {

    @Test
    void reflection_can_be_turned_off_while_health_stays_open(@TempDir Path dir) throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), TokenFile.hashOf("admin-token") + " admin ops\n");
        Path policy = Files.writeString(dir.resolve("policy.json"), "{\"reflection\": false}");
        CommandLine.Run run = (CommandLine.Run) CommandLine.parse(List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0",
                "--auth-token-file", tokens.toString(), "--auth-allow-plaintext-loopback", "--auth-policy", policy.toString()), Map.of(),
                Map.of("memory", "relay-registry.jar"));
        RegistryServer server = RegistryServer.create(run.config(), BackendLoader.discover(getClass().getClassLoader())).start();
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer admin-token");
        ManagedChannel admin = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
        ManagedChannel anonymous = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            assertThat(AeroRegistryGrpc.newBlockingStub(admin).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listRelays(ListRelaysRequest.getDefaultInstance()).getRelaysList()).isEmpty();
            assertThat(reflectionOutcome(admin).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(reflectionOutcome(admin).getDescription()).startsWith("denied by rule reflection:");

            assertThat(HealthGrpc.newBlockingStub(anonymous).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
            assertThatThrownBy(() -> AeroRegistryGrpc.newBlockingStub(anonymous).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listRelays(ListRelaysRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                        assertThat(e.getStatus().getDescription()).isEqualTo("no bearer token (metadata authorization: Bearer <token>)");
                    });
        } finally {
            admin.shutdownNow();
            anonymous.shutdownNow();
            server.stop();
        }
    }

    private static Status reflectionOutcome(ManagedChannel channel) throws Exception {
        CompletableFuture<Status> outcome = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse response) {
                        outcome.complete(Status.OK);
                    }

                    @Override
                    public void onError(Throwable failure) {
                        outcome.complete(Status.fromThrowable(failure));
                    }

                    @Override
                    public void onCompleted() {
                        outcome.complete(Status.OK);
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        return outcome.get(10, TimeUnit.SECONDS);
    }
}
