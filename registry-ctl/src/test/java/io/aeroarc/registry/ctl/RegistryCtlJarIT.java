package io.aeroarc.registry.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * registryctl against the real server jar: every command with its JSON output parsed, and every
 * exit code. Two servers serve all tests: a plaintext one on the memory backend, and one with TLS,
 * client certificates (optional) and bearer tokens. Most commands run in this JVM through
 * {@link RegistryCtl#run}; the runnable jar and scripts/registryctl run as processes to show they work
 * as shipped.
 */
class RegistryCtlJarIT {

    private static final Path CTL_JAR = Path.of(System.getProperty("registryctl.jar", "target/registryctl.jar"));
    private static final Path CTL_SCRIPT = Path.of(System.getProperty("registryctl.script", "../scripts/registryctl"));
    private static final String ADMIN_TOKEN = "admin-token-5f0c2e9a7d1b4386a2e8c6f4b9d03a71";

    @TempDir
    static Path dir;

    private static ServerJar plain;
    private static ServerJar secured;
    private static String plainTarget;
    private static String securedTarget;
    private static Pki pki;
    private static Pki.Credential admin;
    private static Path adminTokenFile;
    private static Path wrongTokenFile;

    @BeforeAll
    static void startServers() throws Exception {
        // The plaintext server starts while openssl makes the certificates the secured one needs. TTLs
        // of an hour: on a loaded build machine the class can take minutes, and nothing here tests expiry.
        plain = ServerJar.start(List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0", "--relay-ttl", "1h", "--agent-ttl", "1h"));
        pki = Pki.create(dir);
        Pki.Credential server = pki.server();
        admin = pki.client("admin.fleet.internal");
        Path policy = Files.writeString(dir.resolve("policy.json"),
                "{\"identities\": [{\"match\": \"admin.fleet.internal\", \"role\": \"admin\"}]}");
        Path tokens = Files.writeString(dir.resolve("tokens"), "sha256:" + sha256(ADMIN_TOKEN) + " admin ops-admin\n");
        adminTokenFile = Files.writeString(dir.resolve("admin.token"), ADMIN_TOKEN + "\n");
        wrongTokenFile = Files.writeString(dir.resolve("wrong.token"), "not-the-admin-token-1b2c3d4e5f60718293a4b5c6d7e8f9\n");

        secured = ServerJar.start(List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0",
                "--tls-enabled", "--tls-cert-path", server.certificate().toString(), "--tls-key-path", server.key().toString(),
                "--tls-client-ca", pki.caCertificate.toString(), "--tls-client-auth=optional",
                "--auth-token-file", tokens.toString(), "--auth-policy", policy.toString()));
        plainTarget = "127.0.0.1:" + plain.awaitPort();
        securedTarget = "localhost:" + secured.awaitPort();
        seed();
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (plain != null) {
            plain.close();
        }
        if (secured != null) {
            secured.close();
        }
    }

    /** Relays r1..r5 (r1, r2 labelled zone=eu), agents a1, a2 on r1 and a3 on r2. */
    private static void seed() throws InterruptedException {
        ManagedChannel channel = Grpc.newChannelBuilder(plainTarget, InsecureChannelCredentials.create()).build();
        try {
            AeroRegistryGrpc.AeroRegistryBlockingStub stub = AeroRegistryGrpc.newBlockingStub(channel);
            for (int i = 1; i <= 5; i++) {
                Relay.Builder relay = Relay.newBuilder().setRelayId("r" + i).setAddress("10.0.0." + i).setGrpcPort(7440 + i);
                if (i <= 2) {
                    relay.putLabels("zone", "eu");
                }
                stub.withDeadlineAfter(30, TimeUnit.SECONDS).registerRelay(RegisterRelayRequest.newBuilder().setRelay(relay).build());
            }
            for (String[] placement : new String[][] {{"a1", "r1"}, {"a2", "r1"}, {"a3", "r2"}}) {
                stub.withDeadlineAfter(30, TimeUnit.SECONDS).registerAgent(RegisterAgentRequest.newBuilder()
                        .setAgent(Agent.newBuilder().setAgentId(placement[0])).setRelayId(placement[1]).build());
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void relays_list_pages_through_every_relay_and_filters_by_label() {
        Result all = ctl("relays", "list", "--target", plainTarget, "--page-size", "2", "-o", "json");
        assertThat(all.code).as(all.err).isZero();
        JsonArray relays = all.json().getAsJsonArray("relays");
        assertThat(strings(relays, "relay_id")).containsExactly("r1", "r2", "r3", "r4", "r5");
        JsonObject r1 = relays.get(0).getAsJsonObject();
        assertThat(r1.get("address").getAsString()).isEqualTo("10.0.0.1");
        assertThat(r1.get("grpc_port").getAsInt()).isEqualTo(7441);
        assertThat(r1.get("agent_count").getAsInt()).isEqualTo(2);
        assertThat(r1.getAsJsonObject("labels").get("zone").getAsString()).isEqualTo("eu");
        assertThat(r1.get("expires_at_unix_ms").getAsLong()).isGreaterThan(r1.get("last_heartbeat_unix_ms").getAsLong());
        assertThat(relays.get(4).getAsJsonObject().getAsJsonObject("labels").size()).isZero();

        Result eu = ctl("relays", "list", "--target", plainTarget, "--selector", "zone=eu", "--output", "json");
        assertThat(strings(eu.json().getAsJsonArray("relays"), "relay_id")).containsExactly("r1", "r2");

        Result table = ctl("relays", "list", "--target", plainTarget, "--page-size", "1");
        assertThat(table.code).isZero();
        List<String> lines = table.out.lines().toList();
        assertThat(lines.get(0)).startsWith("RELAY_ID").contains("ADDRESS", "AGENTS", "EXPIRES", "LABELS");
        assertThat(lines).hasSize(6);
        assertThat(lines.get(1)).startsWith("r1 ").contains("10.0.0.1:7441", "zone=eu");
    }

    @Test
    void relays_get_prints_one_relay_and_exits_1_for_an_unknown_one() {
        Result r2 = ctl("relays", "get", "r2", "--target", plainTarget, "-o", "json");
        assertThat(r2.code).isZero();
        assertThat(r2.json().get("relay_id").getAsString()).isEqualTo("r2");
        assertThat(r2.json().get("agent_count").getAsInt()).isEqualTo(1);

        Result missing = ctl("relays", "get", "r404", "--target", plainTarget);
        assertThat(missing.code).isEqualTo(1);
        assertThat(missing.out).isEmpty();
        assertThat(missing.err).startsWith("registryctl: NOT_FOUND");
    }

    @Test
    void relays_deregister_ends_a_relay_and_its_placements() {
        ManagedChannel channel = Grpc.newChannelBuilder(plainTarget, InsecureChannelCredentials.create()).build();
        try {
            AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).registerRelay(RegisterRelayRequest.newBuilder()
                    .setRelay(Relay.newBuilder().setRelayId("gone").setAddress("10.9.9.9").setGrpcPort(1)).build());
            AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).registerAgent(RegisterAgentRequest.newBuilder()
                    .setAgent(Agent.newBuilder().setAgentId("gone-agent")).setRelayId("gone").build());
        } finally {
            channel.shutdownNow();
        }
        Result deregistered = ctl("relays", "deregister", "gone", "--target", plainTarget, "-o", "json");
        assertThat(deregistered.code).as(deregistered.err).isZero();
        assertThat(deregistered.json().get("relay_id").getAsString()).isEqualTo("gone");
        assertThat(deregistered.json().get("deregistered").getAsBoolean()).isTrue();

        assertThat(ctl("relays", "get", "gone", "--target", plainTarget).code).isEqualTo(1);
        assertThat(ctl("agents", "where", "gone-agent", "--target", plainTarget).code).isEqualTo(1);
        Result again = ctl("relays", "deregister", "gone", "--target", plainTarget);
        assertThat(again.code).isEqualTo(1);
        assertThat(ctl("relays", "deregister", "gone", "--target", plainTarget, "-o", "json").out).isEmpty();
    }

    @Test
    void watch_relays_prints_the_snapshot_its_end_and_events_until_max_events() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        java.util.concurrent.CompletableFuture<Integer> watching = java.util.concurrent.CompletableFuture.supplyAsync(() -> RegistryCtl.run(
                new String[] {"watch", "relays", "--selector", "zone=eu", "--target", plainTarget, "--max-events", "2"},
                new PrintWriter(out, true), new PrintWriter(err, true)));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> out.toString().contains("SNAPSHOT_END token="));
        ManagedChannel channel = Grpc.newChannelBuilder(plainTarget, InsecureChannelCredentials.create()).build();
        try {
            AeroRegistryGrpc.AeroRegistryBlockingStub stub = AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
            stub.registerRelay(RegisterRelayRequest.newBuilder().setRelay(Relay.newBuilder().setRelayId("watched").setAddress("10.7.7.7")
                    .setGrpcPort(7000).putLabels("zone", "eu")).build());
            stub.deregisterRelay(io.aeroarc.registry.api.v1.DeregisterRelayRequest.newBuilder().setRelayId("watched").build());
        } finally {
            channel.shutdownNow();
        }
        assertThat(watching.get(60, TimeUnit.SECONDS)).as(err.toString()).isZero();
        List<String> lines = out.toString().lines().toList();
        assertThat(lines.subList(0, 2)).allSatisfy(line -> assertThat(line).startsWith("SNAPSHOT r"));
        assertThat(lines.subList(0, 2)).anySatisfy(line -> assertThat(line).startsWith("SNAPSHOT r1 10.0.0.1:7441 zone=eu"));
        assertThat(lines.get(2)).startsWith("SNAPSHOT_END token=");
        assertThat(lines.get(3)).startsWith("ADDED watched 10.7.7.7:7000 zone=eu");
        assertThat(lines.get(4)).startsWith("REMOVED watched").contains("reason=DEREGISTERED", "token=");
        assertThat(lines).hasSize(5);
    }

    @Test
    void agents_list_pages_through_every_placement_and_filters_by_relay() {
        Result all = ctl("agents", "list", "--target", plainTarget, "--page-size", "1", "-o", "json");
        assertThat(all.code).isZero();
        JsonArray agents = all.json().getAsJsonArray("agents");
        assertThat(strings(agents, "agent_id")).containsExactly("a1", "a2", "a3");
        assertThat(strings(agents, "relay_id")).containsExactly("r1", "r1", "r2");

        Result onR2 = ctl("agents", "list", "--relay", "r2", "--target", plainTarget, "-o", "json");
        assertThat(strings(onR2.json().getAsJsonArray("agents"), "agent_id")).containsExactly("a3");

        Result table = ctl("agents", "list", "--target", plainTarget);
        assertThat(table.out.lines().toList()).hasSize(4).first().asString().startsWith("AGENT_ID");
    }

    @Test
    void agents_get_returns_placements_with_epochs_and_exits_1_when_one_is_missing() {
        Result found = ctl("agents", "get", "a1", "a3", "--target", plainTarget, "-o", "json");
        assertThat(found.code).isZero();
        JsonArray placements = found.json().getAsJsonArray("placements");
        assertThat(strings(placements, "agent_id")).containsExactlyInAnyOrder("a1", "a3");
        assertThat(placements.get(0).getAsJsonObject().get("epoch").getAsLong()).isPositive();
        assertThat(found.json().getAsJsonArray("missing_agent_ids")).isEmpty();

        Result partly = ctl("agents", "get", "a2", "nobody", "--target", plainTarget, "-o", "json");
        assertThat(partly.code).isEqualTo(1);
        assertThat(strings(partly.json().getAsJsonArray("placements"), "agent_id")).containsExactly("a2");
        assertThat(partly.json().getAsJsonArray("missing_agent_ids").get(0).getAsString()).isEqualTo("nobody");

        Result table = ctl("agents", "get", "a2", "nobody", "--target", plainTarget);
        assertThat(table.code).isEqualTo(1);
        assertThat(table.out).contains("a2", "r1");
        assertThat(table.err).contains("not placed: nobody");
    }

    @Test
    void agents_where_names_the_relay_and_its_address() {
        Result where = ctl("agents", "where", "a3", "--target", plainTarget, "-o", "json");
        assertThat(where.code).isZero();
        assertThat(where.json().getAsJsonObject("placement").get("relay_id").getAsString()).isEqualTo("r2");
        assertThat(where.json().getAsJsonObject("relay").get("address").getAsString()).isEqualTo("10.0.0.2");
        assertThat(where.json().getAsJsonObject("relay").get("grpc_port").getAsInt()).isEqualTo(7442);

        Result table = ctl("agents", "where", "a3", "--target", plainTarget);
        assertThat(table.out).contains("a3", "r2", "10.0.0.2:7442");
        assertThat(ctl("agents", "where", "nobody", "--target", plainTarget).code).isEqualTo(1);
    }

    @Test
    void agents_deregister_ends_a_placement_found_by_itself_or_fenced_on_a_named_relay() {
        ManagedChannel channel = Grpc.newChannelBuilder(plainTarget, InsecureChannelCredentials.create()).build();
        try {
            for (String agent : List.of("d1", "d2")) {
                AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).registerAgent(RegisterAgentRequest.newBuilder()
                        .setAgent(Agent.newBuilder().setAgentId(agent)).setRelayId("r3").build());
            }
        } finally {
            channel.shutdownNow();
        }
        Result wrongRelay = ctl("agents", "deregister", "d1", "--relay", "r4", "--target", plainTarget);
        assertThat(wrongRelay.code).isEqualTo(5);
        assertThat(wrongRelay.err).contains("FAILED_PRECONDITION");
        assertThat(ctl("agents", "where", "d1", "--target", plainTarget).code).isZero();

        Result found = ctl("agents", "deregister", "d1", "--target", plainTarget, "-o", "json");
        assertThat(found.code).as(found.err).isZero();
        assertThat(found.json().get("relay_id").getAsString()).isEqualTo("r3");
        assertThat(found.json().get("deregistered").getAsBoolean()).isTrue();
        assertThat(ctl("agents", "where", "d1", "--target", plainTarget).code).isEqualTo(1);

        assertThat(ctl("agents", "deregister", "d2", "--relay", "r3", "--target", plainTarget).code).isZero();
        assertThat(ctl("agents", "deregister", "d2", "--relay", "r3", "--target", plainTarget).code).isEqualTo(1);
    }

    @Test
    void health_reports_serving_and_names_unknown_services() {
        Result health = ctl("health", "--target", plainTarget, "-o", "json");
        assertThat(health.code).isZero();
        assertThat(health.json().get("status").getAsString()).isEqualTo("SERVING");
        assertThat(health.json().get("service").getAsString()).isEmpty();
        Result registry = ctl("health", "--service", "aeroarc.registry.v1.AeroRegistry", "--target", plainTarget);
        assertThat(registry.out.strip()).isEqualTo("SERVING");
        assertThat(ctl("health", "--service", "liveness", "--target", plainTarget).code).isZero();
        assertThat(ctl("health", "--service", "no.such.Service", "--target", plainTarget).code).isEqualTo(1);
    }

    @Test
    void usage_errors_exit_2() {
        assertThat(ctl("relays", "frobnicate").code).isEqualTo(2);
        assertThat(ctl("relays", "get", "--target", plainTarget).code).isEqualTo(2);
        assertThat(ctl("relays", "list", "--timeout", "soon", "--target", plainTarget).code).isEqualTo(2);
        assertThat(ctl("relays", "list", "--output", "xml", "--target", plainTarget).code).isEqualTo(2);
        assertThat(ctl("relays", "list", "--target", plainTarget, "--tls-cert-path", admin.certificate().toString()).code).isEqualTo(2);
        Result tokenInClear = ctl("relays", "list", "--target", "registry.example:50051", "--auth-token-file", adminTokenFile.toString());
        assertThat(tokenInClear.code).isEqualTo(2);
        assertThat(tokenInClear.err).contains("plaintext");
        // The server refuses an invalid id, naming the field: also the operator's to fix.
        Result badId = ctl("relays", "get", "has space", "--target", plainTarget);
        assertThat(badId.code).isEqualTo(2);
        assertThat(badId.err).contains("INVALID_ARGUMENT", "relay_id");
        assertThat(ctl("--help").code).isZero();
    }

    @Test
    void an_unreachable_server_or_a_missed_deadline_exits_3() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Result result = ctl("relays", "list", "--target", "127.0.0.1:" + closedPort, "--timeout", "2s");
        assertThat(result.code).isEqualTo(3);
        assertThat(result.err).contains("UNAVAILABLE", "Connection refused");
        assertThat(ctl("health", "--target", "127.0.0.1:" + closedPort).code).isEqualTo(3);

        // A deadline too short for even the connection to open.
        Result late = ctl("relays", "list", "--target", plainTarget, "--timeout", "1ms");
        assertThat(late.code).isEqualTo(3);
        assertThat(late.err).contains("DEADLINE_EXCEEDED");
    }

    @Test
    void tls_with_a_token_or_a_client_certificate_is_accepted_and_a_wrong_token_exits_4() {
        String ca = pki.caCertificate.toString();
        Result token = ctl("relays", "list", "--target", securedTarget, "--tls-ca-path", ca, "--auth-token-file", adminTokenFile.toString(), "-o", "json");
        assertThat(token.code).as(token.err).isZero();
        assertThat(token.json().getAsJsonArray("relays")).isEmpty();

        Result certificate = ctl("health", "--target", securedTarget, "--tls-ca-path", ca,
                "--tls-cert-path", admin.certificate().toString(), "--tls-key-path", admin.key().toString());
        assertThat(certificate.code).as(certificate.err).isZero();
        Result certificateList = ctl("agents", "list", "--target", securedTarget, "--tls-ca-path", ca,
                "--tls-cert-path", admin.certificate().toString(), "--tls-key-path", admin.key().toString());
        assertThat(certificateList.code).as(certificateList.err).isZero();

        Result wrong = ctl("relays", "list", "--target", securedTarget, "--tls-ca-path", ca, "--auth-token-file", wrongTokenFile.toString());
        assertThat(wrong.code).isEqualTo(4);
        assertThat(wrong.err).contains("UNAUTHENTICATED");
        Result none = ctl("relays", "get", "r1", "--target", securedTarget, "--tls-ca-path", ca);
        assertThat(none.code).isEqualTo(4);

        // A server certificate the client does not trust (system CAs) or plaintext to a TLS port: no connection.
        assertThat(ctl("health", "--target", securedTarget, "--tls-enabled").code).isEqualTo(3);
        assertThat(ctl("health", "--target", securedTarget, "--timeout", "2s").code).isEqualTo(3);
    }

    @Test
    void the_runnable_jar_and_the_script_work_as_shipped() throws Exception {
        Process list = jar(List.of("relays", "list", "--target", plainTarget, "--output", "json", "--timeout", "30s"));
        String listed = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(list.waitFor()).as(listed).isZero();
        assertThat(strings(JsonParser.parseString(listed).getAsJsonObject().getAsJsonArray("relays"), "relay_id")).contains("r1", "r5");

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Process unreachable = jar(List.of("health", "--target", "127.0.0.1:" + closedPort));
        unreachable.getInputStream().readAllBytes();
        assertThat(unreachable.waitFor()).isEqualTo(3);
        Process usage = jar(List.of("relays", "--no-such-flag"));
        assertThat(new String(usage.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("Unknown option");
        assertThat(usage.waitFor()).isEqualTo(2);

        ProcessBuilder script = new ProcessBuilder(CTL_SCRIPT.toString(), "health").redirectErrorStream(true);
        script.environment().put("REGISTRYCTL_JAR", CTL_JAR.toAbsolutePath().toString());
        script.environment().put("REGISTRYCTL_TARGET", plainTarget);
        script.environment().put("REGISTRYCTL_OUTPUT", "json");
        script.environment().put("REGISTRYCTL_TIMEOUT", "30s");
        Process health = script.start();
        String healthOutput = new String(health.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(health.waitFor()).as(healthOutput).isZero();
        assertThat(JsonParser.parseString(healthOutput).getAsJsonObject().get("status").getAsString()).isEqualTo("SERVING");
    }

    private static Process jar(List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", CTL_JAR.toString()));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("REGISTRYCTL_"));
        return builder.start();
    }

    private record Result(int code, String out, String err) {
        JsonObject json() {
            assertThat(out.lines().count()).as("one JSON document on one line: %s", out).isEqualTo(1);
            return JsonParser.parseString(out).getAsJsonObject();
        }
    }

    /**
     * Runs registryctl in this JVM. Commands get a 30 s deadline unless the test gives one: the
     * 5 s default is for operators, not for a build machine shared with other builds.
     */
    private static Result ctl(String... args) {
        List<String> arguments = new ArrayList<>(List.of(args));
        if (!args[0].startsWith("-") && !arguments.contains("--timeout")) {
            arguments.addAll(List.of("--timeout", "30s"));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = RegistryCtl.run(arguments.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    private static List<String> strings(JsonArray array, String field) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonElement::getAsJsonObject)
                .map(object -> object.get(field).getAsString()).toList();
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

}
