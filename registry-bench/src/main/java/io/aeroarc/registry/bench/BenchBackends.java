package io.aeroarc.registry.bench;

import io.aeroarc.registry.testsupport.RedisTestServer;
import java.util.List;
import java.util.stream.Collectors;

/** The backends the suite knows. Adding one is one line: its name, its test fixture, its baseline. */
final class BenchBackends {

    static final List<BenchBackend> ALL = List.of(
            BenchBackend.inProcess("memory"),
            BenchBackend.onServer("redis", RedisTestServer::start, RawRedisBaseline::open));
    // etcd and PostgreSQL are not here yet: filling them with 1M agents for JMH through the SPI takes
    // longer than the whole suite (etcd: ~1 000 registrations/s here). They need sizes of their own first.

    private BenchBackends() {}

    static BenchBackend named(String name) {
        return ALL.stream().filter(backend -> backend.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown --backend '" + name + "'; known: "
                        + ALL.stream().map(BenchBackend::name).collect(Collectors.joining(", "))));
    }
}
