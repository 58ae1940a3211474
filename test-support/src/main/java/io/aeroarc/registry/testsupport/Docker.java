package io.aeroarc.registry.testsupport;

import org.testcontainers.DockerClientFactory;

/** Whether a Docker engine answers, so Testcontainers can be used. */
public final class Docker {

    private Docker() {}

    public static boolean isAvailable() {
        if ("false".equalsIgnoreCase(System.getenv("REGISTRY_TEST_DOCKER"))) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
