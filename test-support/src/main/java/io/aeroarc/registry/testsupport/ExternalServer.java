package io.aeroarc.registry.testsupport;

import io.aeroarc.registry.tck.StorageControl;
import java.util.Map;
import java.util.Optional;

/**
 * A server someone else runs, named by an environment variable: the tests neither stop it nor
 * clean it beyond their own namespaces, so the outage rules skip.
 */
public record ExternalServer(String description, Map<String, String> backendOptions) implements TestServer {

    public ExternalServer {
        backendOptions = Map.copyOf(backendOptions);
    }

    @Override
    public Optional<StorageControl> control() {
        return Optional.empty();
    }

    @Override
    public void close() {}
}
