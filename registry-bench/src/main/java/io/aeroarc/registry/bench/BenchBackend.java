package io.aeroarc.registry.bench;

import io.aeroarc.registry.tck.StorageControl;
import io.aeroarc.registry.testsupport.TestServer;
import java.util.Map;
import java.util.Optional;

/**
 * A backend the suite can run: its name, how to get a storage server for it (the test fixtures'
 * {@code start()}), and the raw baselines that show the registry's overhead over its storage.
 *
 * @param inProcess whether the backend keeps its state inside the registry process (nothing to start)
 */
record BenchBackend(String name, boolean inProcess, StorageFixture storage, RawBaseline baseline) {

    /** Starts, or finds, a fresh storage server; {@code RedisTestServer::start} and the like. */
    @FunctionalInterface
    interface StorageFixture {
        TestServer start();
    }

    /**
     * Sets up, on the storage server, {@code agents} agents ({@code agentsPerRelay} on each relay)
     * laid out as the backend lays them out, and returns loops doing the storage work of registry
     * calls on them from {@code threads} connections.
     */
    @FunctionalInterface
    interface RawBaseline {
        RawLoops open(TestServer storage, int agents, int agentsPerRelay, int threads);
    }

    static BenchBackend inProcess(String name) {
        return new BenchBackend(name, true, Embedded::new, BenchBackend::noBaseline);
    }

    static BenchBackend onServer(String name, StorageFixture storage, RawBaseline baseline) {
        return new BenchBackend(name, false, storage, baseline);
    }

    /** For a backend without a baseline. */
    static RawLoops noBaseline(TestServer storage, int agents, int agentsPerRelay, int threads) {
        return RawLoops.NONE;
    }

    /** The "server" of an in-process backend: no options, nothing to stop. */
    private static final class Embedded implements TestServer {

        @Override
        public String description() {
            return "inside the registry process";
        }

        @Override
        public Map<String, String> backendOptions() {
            return Map.of();
        }

        @Override
        public Optional<StorageControl> control() {
            return Optional.empty();
        }

        @Override
        public void close() {}
    }
}
