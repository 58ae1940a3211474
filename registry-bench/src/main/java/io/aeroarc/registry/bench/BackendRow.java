package io.aeroarc.registry.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One backend's row in the form of issue 17's table: HeartbeatAgent and GetAgentPlacement at
 * their max (with HeartbeatAgent's share of the Check ceiling), and whether the per-agent fleet was
 * sustained, with its p99 and its worst 10 s window.
 */
final class BackendRow {

    static final List<String> HEADER = List.of("backend", "HeartbeatAgent max (share of Check)", "GetAgentPlacement max (share)",
            "per-agent fleet", "bench client vs h2load");

    private BackendRow() {}

    static List<String> of(SuiteReport report) {
        List<String> row = new ArrayList<>();
        row.add(report.backend());
        MaxScenario.Result max = report.max();
        if (max == null) {
            row.add("not measured");
            row.add("not measured");
        } else {
            row.add(maxCell(max.rpc(MaxScenario.HEARTBEAT_AGENT)));
            row.add(maxCell(max.rpc(MaxScenario.GET_AGENT_PLACEMENT)));
        }
        row.add(report.fleet() == null ? "not run" : fleetCell(report.fleet()));
        row.add(max == null || max.client().h2load() == null ? "not compared"
                : String.format(Locale.ROOT, "%s of %s/s", Targets.share(max.client().share()), rate(max.client().h2load().callsPerSecond())));
        return row;
    }

    private static String maxCell(MaxScenario.RpcMax rpc) {
        return String.format(Locale.ROOT, "%s/s (%s)", rate(rpc.rpc().callsPerSecond()), Targets.share(rpc.share()));
    }

    /**
     * "sustained, p99 2.4 ms (worst window 3.1 ms)", or what failed. Sustained as issue 10 has it:
     * heartbeats answered, and no send skipped, no call failed, no false expiry; the latency is beside it.
     */
    static String fleetCell(FleetScenario.Result fleet) {
        long errors = fleet.errors().values().stream().mapToLong(Long::longValue).sum();
        long falseExpiries = fleet.falseExpiries() + fleet.falseRelayExpiries();
        double worstWindow = fleet.windows().stream().filter(window -> window.startSecond() >= 0)
                .mapToDouble(FleetScenario.Window::p99Micros).max().orElse(Double.NaN);
        String size = String.format(Locale.ROOT, "%,d × %,d: ", fleet.settings().relays(), fleet.settings().agentsPerRelay());
        String latency = String.format(Locale.ROOT, "p99 %s (worst 10 s window %s)", Targets.micros(fleet.heartbeatLatency().p99Micros()),
                Double.isNaN(worstWindow) ? "-" : Targets.micros(worstWindow));
        if (errors == 0 && falseExpiries == 0 && fleet.notSent() == 0 && fleet.heartbeatCalls() > 0) {
            return size + "sustained, " + latency;
        }
        return size + String.format(Locale.ROOT, "**not sustained**: %,d sends skipped, %,d calls failed %s, %,d false expiries; %s",
                fleet.notSent(), errors, fleet.errors(), falseExpiries, latency);
    }

    private static String rate(double perSecond) {
        return perSecond >= 10_000 ? String.format(Locale.ROOT, "%.0fk", perSecond / 1000) : String.format(Locale.ROOT, "%,.0f", perSecond);
    }
}
