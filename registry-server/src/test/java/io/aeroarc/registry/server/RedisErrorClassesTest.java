package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.backend.redis.RedisBackendProvider;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;

/**
 * The backend error classes on a real Redis, end to end: a refused password stops start-up as a
 * configuration error; rights taken away at run time turn health NOT_SERVING and calls UNAVAILABLE
 * until they are given back; a key of the wrong type under the registry's prefix (a bug, or foreign
 * data) answers INTERNAL and leaves health SERVING.
 */
class RedisErrorClassesTest {

    private static final String PASSWORD = "registry-password";

    private static TestServer server;
    private static RedisClient admin;

    @BeforeAll
    static void startRedis() {
        server = RedisTestServer.start();
        admin = RedisClient.create(URI.create(server.backendOptions().get("url")));
        acl("SETUSER", "registry", "on", ">" + PASSWORD, "~*", "&*", "+@all");
    }

    @AfterAll
    static void stopRedis() {
        if (admin != null) {
            acl("DELUSER", "registry");
            admin.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static void acl(String... args) {
        admin.sendCommand(Protocol.Command.ACL, args);
    }

    private static String url(String user, String password) {
        URI plain = URI.create(server.backendOptions().get("url"));
        return "redis://" + user + ":" + password + "@" + plain.getHost() + ":" + plain.getPort();
    }

    @Test
    void a_wrong_password_stops_start_up_with_status_2_as_a_configuration_error() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Main.run(List.of("--grpc-listen-address", "127.0.0.1",
                "--grpc-listen-port", "0", "--backend", "redis", "--backend-option", "url=" + url("registry", "not-the-password")),
                Map.of(), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8)));

        assertThat(status).as("exit status of a server whose Redis refuses its password").isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).as("the one line an operator reads")
                .contains("backend redis refuses the registry's configuration", "WRONGPASS")
                .doesNotContain("not-the-password");
    }

    @Test
    void rights_taken_away_at_run_time_answer_unavailable_with_health_not_serving_until_given_back() throws Exception {
        try (RunningRegistry registry = new RunningRegistry(backend(url("registry", PASSWORD), "errors-acl:"), settings(), Duration.ofSeconds(5))) {
            registry.registry().registerRelay(relay("relay-a"));
            try {
                acl("SETUSER", "registry", "-@all");

                assertThatThrownBy(() -> registry.registry().getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).as("status of a call Redis refuses with NOPERM").isEqualTo(Status.Code.UNAVAILABLE);
                            assertThat(e.getStatus().getDescription()).contains("refuses the registry's configuration");
                        });
                assertThat(registry.health("")).as("health once Redis refused the registry").isEqualTo(ServingStatus.NOT_SERVING);
            } finally {
                acl("SETUSER", "registry", "+@all");
            }
            await().alias("health SERVING again once the rights are back").atMost(Duration.ofSeconds(10))
                    .until(() -> registry.health("") == ServingStatus.SERVING);
            assertThat(registry.registry().getRelay(GetRelayRequest.newBuilder().setRelayId("relay-a").build()).getRelay().getRelayId())
                    .isEqualTo("relay-a");
        }
    }

    @Test
    void a_key_of_the_wrong_type_under_the_prefix_answers_internal_and_health_stays_serving() throws Exception {
        try (RunningRegistry registry = new RunningRegistry(backend(server.backendOptions().get("url"), "errors-wrongtype:"), settings(),
                Duration.ofSeconds(5))) {
            admin.set("errors-wrongtype:relay:relay-x", "a string where the registry keeps a hash");
            try {
                assertThatThrownBy(() -> registry.registry().getRelay(GetRelayRequest.newBuilder().setRelayId("relay-x").build()))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).as("status of a call whose script hits WRONGTYPE").isEqualTo(Status.Code.INTERNAL);
                            assertThat(e.getStatus().getDescription()).as("what the client is told").doesNotContain("WRONGTYPE");
                        });
                assertThat(registry.health("")).as("health after a bug").isEqualTo(ServingStatus.SERVING);
                registry.registry().registerRelay(relay("relay-a"));
                assertThat(registry.health("")).as("health after the next call").isEqualTo(ServingStatus.SERVING);
            } finally {
                admin.del("errors-wrongtype:relay:relay-x");
            }
        }
    }

    private static RegistryBackend backend(String url, String prefix) {
        return new RedisBackendProvider().create(BackendOptions.of("redis", Map.of("url", url, "key-prefix", prefix)),
                new BackendContext(Clock.systemUTC()));
    }

    private static RegistrySettings settings() {
        return new RegistrySettings(Duration.ofSeconds(30), Duration.ofSeconds(30), 100);
    }

    private static RegisterRelayRequest relay(String relayId) {
        return RegisterRelayRequest.newBuilder().setRelay(Relay.newBuilder().setRelayId(relayId).setAddress("10.0.0.1").setGrpcPort(7000))
                .build();
    }
}
