package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.DeregisterAgentRequest;
import io.aeroarc.registry.api.v1.DeregisterRelayRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementResponse;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentsRequest;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.ListRelaysRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.server.security.TokenFile;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar with mutual TLS, bearer tokens and a policy, against certificates made for the
 * run: relays act only for themselves, readers only read, admins do all, bad certificates do not
 * connect, tokens work the same way and a revoked token stops working within 2 s. One registry
 * process serves every test (client certificates optional, so tokens work too).
 */
class SecurityJarIT {

    private static final Path JAR = Path.of(System.getProperty("registry.jar", "target/relay-registry.jar"));
    private static final String RELAY_TOKEN = "relay-c-token-8f1d2a7c4b9e6f03a5d8c1e7b2f4a690";
    private static final String READER_TOKEN = "reader-token-1c7e9a3f5b2d8046e1a9c3f7d5b20e84";

    @TempDir
    static Path dir;

    private static RegistryProcess registry;
    private static Path tokenFile;
    private static TestPki pki;
    private static TestPki.Credential relayA;
    private static TestPki.Credential relayB;
    private static TestPki.Credential reader;
    private static TestPki.Credential admin;
    private static TestPki.Credential expired;
    private static TestPki.Credential stranger;
    private static final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    static void startRegistry() throws Exception {
        pki = TestPki.create(dir, "fleet");
        TestPki.Credential server = pki.server();
        relayA = pki.client("relay-a", "relay-a", "URI:spiffe://fleet/relay/relay-a");
        relayB = pki.client("relay-b", "relay-b", "URI:spiffe://fleet/relay/relay-b");
        reader = pki.client("reader", "dashboard", "DNS:reader.fleet.internal");
        admin = pki.client("admin", "admin.fleet.internal", null);
        expired = pki.expiredClient("expired", "URI:spiffe://fleet/relay/relay-a");
        stranger = TestPki.create(dir, "other").client("stranger", "relay-a", "URI:spiffe://fleet/relay/relay-a");

        Path policy = Files.writeString(dir.resolve("policy.json"), """
                {
                  "identities": [
                    {"match": "spiffe://fleet/relay/{relay_id}", "role": "relay"},
                    {"match": "reader.fleet.internal", "role": "reader"},
                    {"match": "admin.fleet.internal", "role": "admin"}
                  ]
                }
                """);
        tokenFile = dir.resolve("tokens");
        writeTokens(true);
        registry = RegistryProcess.fromJar(JAR, List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0",
                "--tls-enabled", "--tls-cert-path", server.certificate().toString(), "--tls-key-path", server.key().toString(),
                "--tls-client-ca", pki.caCertificate.toString(), "--tls-client-auth=optional",
                "--auth-token-file", tokenFile.toString(), "--auth-policy", policy.toString()));
        registry.awaitServing();
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (registry != null) {
            registry.terminate();
            assertThat(registry.awaitExit()).isZero();
            registry.close();
        }
    }

    @Test
    void relay_a_cannot_heartbeat_deregister_or_steal_relay_bs_relay_and_agents() {
        AeroRegistryGrpc.AeroRegistryBlockingStub a = stub(certificate(relayA));
        AeroRegistryGrpc.AeroRegistryBlockingStub b = stub(certificate(relayB));
        AeroRegistryGrpc.AeroRegistryBlockingStub root = stub(certificate(admin));
        b.registerRelay(registerRelay("relay-b"));
        b.registerAgent(registerAgent("agent-b1", "relay-b"));
        a.registerRelay(registerRelay("relay-a"));
        Relay relayBefore = root.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-b").build()).getRelay();
        GetAgentPlacementResponse placementBefore = root.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("agent-b1").build());

        assertDenied(() -> a.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("relay-b").build()), "relay-own-relay");
        assertDenied(() -> a.deregisterRelay(DeregisterRelayRequest.newBuilder().setRelayId("relay-b").build()), "relay-own-relay");
        assertDenied(() -> a.registerRelay(registerRelay("relay-b")), "relay-own-relay");
        assertDenied(() -> a.registerAgent(registerAgent("agent-b1", "relay-b")), "relay-own-agents");
        assertDenied(() -> a.registerAgent(registerAgent("agent-b1", "relay-a")), "relay-no-takeover");
        assertDenied(() -> a.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-b1").build()), "relay-own-agents");
        assertDenied(() -> a.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-b1").setRelayId("relay-b").build()),
                "relay-own-agents");
        assertDenied(() -> a.heartbeatAgents(HeartbeatAgentsRequest.newBuilder().setRelayId("relay-b").addAgentIds("agent-b1").build()),
                "relay-own-agents");
        assertDenied(() -> a.deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId("agent-b1").setRelayId("relay-b").build()),
                "relay-own-agents");
        assertDenied(() -> a.deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId("agent-b1").setRelayId("relay-a").build()),
                "relay-own-agents");
        assertDenied(() -> a.listRelays(ListRelaysRequest.getDefaultInstance()), "relay-no-fleet-reads");
        // Naming its own relay, the relay gets the protocol's fencing answer ("you lost this agent"), and nothing is renewed.
        assertThatThrownBy(() -> a.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-b1").setRelayId("relay-a").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));

        assertThat(root.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-b").build()).getRelay()).isEqualTo(relayBefore);
        assertThat(root.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("agent-b1").build())).isEqualTo(placementBefore);

        // Its own relay and agents it may manage, with or without relay_id on HeartbeatAgent.
        a.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("relay-a").build());
        a.registerAgent(registerAgent("agent-a1", "relay-a"));
        a.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId("agent-a1").build());
        a.deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId("agent-a1").setRelayId("relay-a").build());

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(registry.output).anyMatch(line -> line.contains("event=call-denied")
                && line.contains("who=\"spiffe://fleet/relay/relay-a\"") && line.contains("method=\"DeregisterRelay\"")
                && line.contains("rule=\"relay-own-relay\"")));
        assertThat(registry.output).anyMatch(line -> line.contains("event=agent-deregistered") && line.contains("agent=\"agent-a1\"")
                && line.contains("outcome=\"OK\""));
    }

    @Test
    void a_reader_reads_and_cannot_write() {
        AeroRegistryGrpc.AeroRegistryBlockingStub dashboard = stub(certificate(reader));
        stub(certificate(relayB)).registerRelay(registerRelay("relay-b"));

        assertThat(dashboard.listRelays(ListRelaysRequest.getDefaultInstance()).getRelaysList()).extracting(Relay::getRelayId).contains("relay-b");
        assertDenied(() -> dashboard.registerRelay(registerRelay("relay-r")), "reader-reads-only");
        assertDenied(() -> dashboard.deregisterRelay(DeregisterRelayRequest.newBuilder().setRelayId("relay-b").build()), "reader-reads-only");
        assertDenied(() -> dashboard.registerAgent(registerAgent("agent-r", "relay-b")), "reader-reads-only");
        assertThat(dashboard.getRelay(GetRelayRequest.newBuilder().setRelayId("relay-b").build()).getRelay().getRelayId()).isEqualTo("relay-b");
    }

    @Test
    void an_admin_may_move_an_agent_and_the_move_is_audited() {
        AeroRegistryGrpc.AeroRegistryBlockingStub root = stub(certificate(admin));
        stub(certificate(relayA)).registerRelay(registerRelay("relay-a"));
        stub(certificate(relayB)).registerRelay(registerRelay("relay-b"));
        long first = stub(certificate(relayB)).registerAgent(registerAgent("agent-moved", "relay-b")).getEpoch();

        long second = root.registerAgent(registerAgent("agent-moved", "relay-a")).getEpoch();

        assertThat(second).isGreaterThan(first);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(registry.output).anyMatch(line -> line.contains("event=agent-moved")
                && line.contains("who=\"admin.fleet.internal\"") && line.contains("agent=\"agent-moved\"")
                && line.contains("old_relay=\"relay-b\" old_epoch=\"" + first + "\" new_relay=\"relay-a\" new_epoch=\"" + second + "\"")));
    }

    @Test
    void expired_unknown_ca_and_missing_credentials_get_nothing_but_health() throws Exception {
        // With client certificates optional, the JDK's TLS either ends the handshake on a certificate that fails
        // verification or goes on as if none was sent; either way the client gets nothing.
        for (TestPki.Credential bad : List.of(expired, stranger)) {
            assertThatThrownBy(() -> stub(certificate(bad)).listRelays(ListRelaysRequest.getDefaultInstance()))
                    .as(bad.certificate().getFileName().toString())
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAUTHENTICATED, Status.Code.UNAVAILABLE));
        }
        ManagedChannel anonymous = open(TlsChannelCredentials.newBuilder().trustManager(pki.caCertificate.toFile()).build());
        assertThatThrownBy(() -> stub(anonymous).listRelays(ListRelaysRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThat(HealthGrpc.newBlockingStub(anonymous).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    }

    @Test
    void with_client_certificates_required_expired_and_unknown_ca_certificates_cannot_connect() throws Exception {
        TestPki.Credential server = new TestPki.Credential(dir.resolve("server.pem"), dir.resolve("server.key"));
        try (RegistryProcess strict = RegistryProcess.fromJar(JAR, List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0",
                "--tls-enabled", "--tls-cert-path", server.certificate().toString(), "--tls-key-path", server.key().toString(),
                "--tls-client-ca", pki.caCertificate.toString(), "--auth-policy", dir.resolve("policy.json").toString()))) {
            int port = strict.port();
            for (TestPki.Credential bad : List.of(expired, stranger)) {
                ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", port, TlsChannelCredentials.newBuilder()
                        .trustManager(pki.caCertificate.toFile()).keyManager(bad.certificate().toFile(), bad.key().toFile()).build()).build();
                channels.add(channel);
                assertThatThrownBy(() -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()))
                        .as(bad.certificate().getFileName().toString())
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            }
            ManagedChannel good = Grpc.newChannelBuilderForAddress("localhost", port, TlsChannelCredentials.newBuilder()
                    .trustManager(pki.caCertificate.toFile()).keyManager(relayA.certificate().toFile(), relayA.key().toFile()).build()).build();
            channels.add(good);
            assertThat(stub(good).registerRelay(registerRelay("relay-a")).getExpiresAtUnixMs()).isPositive();
            strict.terminate();
            assertThat(strict.awaitExit()).isZero();
        }
    }

    @Test
    void tokens_work_like_certificates_and_a_revoked_token_stops_within_2_seconds() throws Exception {
        AeroRegistryGrpc.AeroRegistryBlockingStub relayC = stub(token(RELAY_TOKEN));
        AeroRegistryGrpc.AeroRegistryBlockingStub dashboard = stub(token(READER_TOKEN));
        relayC.registerRelay(registerRelay("relay-c"));
        relayC.registerAgent(registerAgent("agent-c1", "relay-c"));
        stub(certificate(relayB)).registerRelay(registerRelay("relay-b"));
        assertDenied(() -> relayC.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("relay-b").build()), "relay-own-relay");
        assertDenied(() -> dashboard.deregisterRelay(DeregisterRelayRequest.newBuilder().setRelayId("relay-c").build()), "reader-reads-only");
        assertThat(dashboard.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId("agent-c1").build()).getPlacement().getRelayId())
                .isEqualTo("relay-c");
        assertThatThrownBy(() -> stub(token("not-a-token")).listRelays(ListRelaysRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));

        writeTokens(false);
        long revokedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThatThrownBy(() -> dashboard.listRelays(ListRelaysRequest.getDefaultInstance()))
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED)));
        System.out.printf("revoked token refused after %d ms%n", (System.nanoTime() - revokedAt) / 1_000_000);
        relayC.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId("relay-c").build());
        writeTokens(true);
    }

    private static void writeTokens(boolean withReader) throws Exception {
        String lines = "# test tokens\n" + TokenFile.hashOf(RELAY_TOKEN) + " relay spiffe://fleet/relay/relay-c\n"
                + (withReader ? TokenFile.hashOf(READER_TOKEN) + " reader dashboard-token\n" : "");
        Path staged = Files.writeString(dir.resolve("tokens.new"), lines);
        Files.move(staged, tokenFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void assertDenied(ThrowingCallable call, String rule) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(e.getStatus().getDescription()).startsWith("denied by rule " + rule + ":");
        });
    }

    private static ManagedChannel certificate(TestPki.Credential credential) {
        try {
            return open(TlsChannelCredentials.newBuilder().trustManager(pki.caCertificate.toFile())
                    .keyManager(credential.certificate().toFile(), credential.key().toFile()).build());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static ManagedChannel token(String token) {
        try {
            return open(TlsChannelCredentials.newBuilder().trustManager(pki.caCertificate.toFile()).build(), token);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static ManagedChannel open(ChannelCredentials credentials) {
        return open(credentials, null);
    }

    private static ManagedChannel open(ChannelCredentials credentials, String token) {
        var builder = Grpc.newChannelBuilderForAddress("localhost", registry.port(), credentials);
        if (token != null) {
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
            builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        ManagedChannel channel = builder.build();
        channels.add(channel);
        return channel;
    }

    private static AeroRegistryGrpc.AeroRegistryBlockingStub stub(ManagedChannel channel) {
        return AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static RegisterRelayRequest registerRelay(String relayId) {
        return RegisterRelayRequest.newBuilder()
                .setRelay(Relay.newBuilder().setRelayId(relayId).setAddress("10.0.0.1").setGrpcPort(7443)).build();
    }

    private static RegisterAgentRequest registerAgent(String agentId, String relayId) {
        return RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId(agentId)).setRelayId(relayId).build();
    }
}
