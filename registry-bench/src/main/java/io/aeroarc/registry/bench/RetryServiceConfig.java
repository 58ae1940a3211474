package io.aeroarc.registry.bench;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The project's default gRPC service config for clients ({@code docs/retry-service-config.json},
 * copied into this jar): retries with exponential back-off and jitter on UNAVAILABLE and
 * RESOURCE_EXHAUSTED for the idempotent calls. The bench's stubs use it, as clients are told to.
 */
final class RetryServiceConfig {

    static final String RESOURCE = "/retry-service-config.json";

    private RetryServiceConfig() {}

    /** The config as grpc-java's {@code defaultServiceConfig} takes it: JSON objects as maps, numbers as doubles. */
    static Map<String, ?> load() {
        try (InputStream in = RetryServiceConfig.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path; the build copies it from docs/");
            }
            return new Gson().fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), new TypeToken<Map<String, Object>>() {}.getType());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
