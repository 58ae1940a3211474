package io.aeroarc.registry.testsupport;

import io.aeroarc.registry.tck.StorageControl;
import java.util.Map;
import java.util.Optional;

/** A real storage server for tests, however it was found or started. */
public interface TestServer extends AutoCloseable {

    /** Where it came from, for test output: "local redis-server on 127.0.0.1:41234". */
    String description();

    /** The {@code --backend-option} values that point the matching backend at this server. */
    Map<String, String> backendOptions();

    /** Stop and start on the same address, when this test owns the server; empty for an external one. */
    Optional<StorageControl> control();

    /**
     * The server's own process when this test started it on this machine, for fault tests that
     * freeze or kill it; empty for an external server or a container.
     */
    default Optional<LocalServerProcess> localProcess() {
        return Optional.empty();
    }

    /** Stops the server if this test started it and deletes its files. */
    @Override
    void close();
}
