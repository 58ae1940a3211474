package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI image tarball the build made ({@code -Pimage}, on in scripts/test): its config (user,
 * entrypoint, exposed port), its files (a runtime the non-root user can run), and the image's own
 * runtime and class path, unpacked, serving on Redis as the Kubernetes example runs it. No container
 * engine is needed (and none exists on the build machine), so the unpacked files run as a plain process.
 */
class ImageTarballIT {

    /** Set by the image profile, which also builds the tarball; without the profile there is nothing to test. */
    private static final String TARBALL_PROPERTY = "image.tar";

    @TempDir
    static Path root;

    private static JsonObject config;
    private static final Map<String, TarEntries.Entry> files = new LinkedHashMap<>();

    @BeforeAll
    static void unpack() throws IOException {
        assumeTrue(System.getProperty(TARBALL_PROPERTY) != null, "the image is built with -Pimage (on in scripts/test)");
        Map<String, TarEntries.Entry> outer;
        try (InputStream in = Files.newInputStream(Path.of(System.getProperty(TARBALL_PROPERTY)))) {
            outer = TarEntries.read(in, (path, size) -> true);
        }
        JsonObject index = json(outer.get("/index.json").content());
        JsonObject manifest = json(blob(outer, index.getAsJsonArray("manifests").get(0).getAsJsonObject().get("digest").getAsString()));
        config = json(blob(outer, manifest.getAsJsonObject("config").get("digest").getAsString()));
        for (JsonElement layer : manifest.getAsJsonArray("layers")) {
            assertThat(layer.getAsJsonObject().get("mediaType").getAsString()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
            byte[] gzipped = blob(outer, layer.getAsJsonObject().get("digest").getAsString());
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
                files.putAll(TarEntries.read(in, (path, size) -> true));
            }
        }
        for (TarEntries.Entry entry : files.values()) {
            Path target = root.resolve(entry.path().substring(1));
            switch (entry.type()) {
                case '5' -> Files.createDirectories(target);
                case '2' -> {
                    Files.createDirectories(target.getParent());
                    Files.createSymbolicLink(target, Path.of(entry.linkTarget()));
                }
                default -> {
                    Files.createDirectories(target.getParent());
                    Files.write(target, entry.content());
                    Files.setPosixFilePermissions(target, permissions(entry.mode()));
                }
            }
        }
    }

    @Test
    void the_config_runs_the_registry_as_a_non_root_user_on_port_50051() {
        assertThat(config.get("os").getAsString()).isEqualTo("linux");
        JsonObject container = config.getAsJsonObject("config");
        assertThat(container.get("User").getAsString()).isEqualTo("65532:65532");
        assertThat(strings(container.getAsJsonArray("Entrypoint")))
                .startsWith("/opt/java/bin/java")
                .contains("-XX:+ExitOnOutOfMemoryError", "@/app/jib-classpath-file")
                .endsWith(Main.class.getName());
        assertThat(container.getAsJsonObject("ExposedPorts").keySet()).containsExactly("50051/tcp");
        assertThat(container.get("WorkingDir").getAsString()).isEqualTo("/tmp");
    }

    @Test
    void the_runtime_and_the_jars_are_readable_and_runnable_by_that_user() {
        assertThat(files.get("/opt/java/bin/java").mode() & 0755).isEqualTo(0755);
        assertThat(files.get("/tmp").type()).isEqualTo('5');
        assertThat(files.get("/tmp").mode() & 0777).isEqualTo(0777);
        assertThat(files.values()).filteredOn(entry -> entry.type() == '0')
                .allSatisfy(entry -> assertThat(entry.mode() & 0004).as("%s world-readable", entry.path()).isEqualTo(0004));
        String classPath = new String(files.get("/app/jib-classpath-file").content(), StandardCharsets.UTF_8);
        assertThat(classPath).contains("/app/libs/registry-core-", "/app/libs/backend-redis-", "/app/libs/backend-postgres-",
                "/app/libs/backend-etcd-", "/app/libs/backend-memory-", "/app/classes");
        // A runtime jlink-ed to the modules the registry needs, not a whole JDK.
        assertThat(files).doesNotContainKey("/opt/java/bin/javac").containsKey("/opt/java/lib/modules");
    }

    @Test
    void the_images_runtime_and_class_path_serve_on_redis() throws Exception {
        List<String> entrypoint = strings(config.getAsJsonObject("config").getAsJsonArray("Entrypoint"));
        // The class path file names /app/...: point it at the unpacked root instead.
        String classPath = new String(files.get("/app/jib-classpath-file").content(), StandardCharsets.UTF_8).strip();
        Path argFile = Files.writeString(root.resolve("classpath-here"), classPath.replace("/app/", root.resolve("app") + "/"));
        List<String> command = new ArrayList<>();
        for (String argument : entrypoint) {
            command.add(argument.equals("/opt/java/bin/java") ? root.resolve("opt/java/bin/java").toString()
                    : argument.equals("@/app/jib-classpath-file") ? "@" + argFile : argument);
        }
        try (TestServer redis = RedisTestServer.start()) {
            command.addAll(List.of("--backend", "redis", "--backend-option", "url=" + redis.backendOptions().get("url"),
                    "--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0"));
            try (RegistryProcess registry = RegistryProcess.fromCommand(command)) {
                assertThat(registry.awaitServing()).contains("backend redis");
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", registry.port()).usePlaintext().build();
                try {
                    assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
                    AeroRegistryGrpc.AeroRegistryBlockingStub stub = AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
                    stub.registerRelay(RegisterRelayRequest.newBuilder()
                            .setRelay(Relay.newBuilder().setRelayId("image-relay").setAddress("10.0.0.1").setGrpcPort(7443)).build());
                    assertThat(stub.getRelay(GetRelayRequest.newBuilder().setRelayId("image-relay").build()).getRelay().getAddress())
                            .isEqualTo("10.0.0.1");
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
                registry.terminate();
                assertThat(registry.awaitExit()).as(String.join("\n", registry.output)).isZero();
            }
        }
    }

    private static byte[] blob(Map<String, TarEntries.Entry> outer, String digest) {
        TarEntries.Entry entry = outer.get("/blobs/" + digest.replace(':', '/'));
        assertThat(entry).as("blob %s in the tarball", digest).isNotNull();
        return entry.content();
    }

    private static JsonObject json(byte[] content) {
        return JsonParser.parseString(new String(content, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    private static List<String> strings(JsonArray array) {
        List<String> strings = new ArrayList<>();
        array.forEach(element -> strings.add(element.getAsString()));
        return strings;
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < 9; i++) {
            if ((mode & (1 << (8 - i))) != 0) {
                permissions.add(bits[i]);
            }
        }
        return permissions;
    }
}
