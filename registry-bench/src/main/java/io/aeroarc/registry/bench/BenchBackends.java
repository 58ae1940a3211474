package io.aeroarc.registry.bench;

import io.aeroarc.registry.testsupport.EtcdTestServer;
import io.aeroarc.registry.testsupport.PostgresTestServer;
import io.aeroarc.registry.testsupport.RedisTestServer;
import java.util.List;
import java.util.stream.Collectors;

/** The backends the suite knows. Adding one is one line: its name, its test fixture, its baseline. */
final class BenchBackends {

    static final List<BenchBackend> ALL = List.of(
            BenchBackend.inProcess("memory"),
            BenchBackend.onServer("redis", RedisTestServer::start, RawRedisBaseline::open),
            // Without a raw baseline: their storage work per call is several statements or a transaction, not one script.
            // Their full runs are sized down (SuiteProfile.forBackend): filling a million agents takes too long.
            BenchBackend.onServer("etcd", EtcdTestServer::start, BenchBackend::noBaseline),
            BenchBackend.onServer("postgres", PostgresTestServer::start, BenchBackend::noBaseline));

    private BenchBackends() {}

    static BenchBackend named(String name) {
        return ALL.stream().filter(backend -> backend.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown --backend '" + name + "'; known: "
                        + ALL.stream().map(BenchBackend::name).collect(Collectors.joining(", "))));
    }
}
