package io.aeroarc.registry.bench;

import java.util.List;

/**
 * Everything one suite run measured; rendered as {@code report.md} and {@code report.json}.
 * Parts that did not run are null.
 *
 * @param label what was measured, such as the git commit, as given on the command line
 * @param loadAverageAfter the machine's load averages when the run ended
 * @param registry how the registry servers were started
 * @param storage where the backend's storage server came from
 * @param sizing where the run is smaller than the full profile on this backend, and why
 * @param compare lone-call latency with and without coalescing, and HeartbeatAgent against a memory registry
 * @param fleetRegistryResidentBytes the fleet registry's resident memory at the end of the run
 * @param restart the per-agent fleet with its storage restarted (state lost), on Redis
 * @param bigFleet the million-agent per-agent fleet, on memory
 * @param notRun parts that do not apply to this backend, and why
 */
record SuiteReport(
        String backend,
        String mode,
        String startedAtUtc,
        double minutes,
        String label,
        MachineFacts machine,
        double[] loadAverageAfter,
        String registry,
        String storage,
        List<String> sizing,
        MaxScenario.Result max,
        CompareScenario.Result compare,
        ScaleScenario.Result scale,
        FleetScenario.Result fleet,
        long fleetRegistryResidentBytes,
        FleetScenario.Result restart,
        FleetScenario.Result bigFleet,
        List<String> notRun,
        List<JmhRunner.Score> jmh,
        HeapMeasurement.Result heap,
        JfrProfile profile,
        List<TargetCheck> targets) {

    SuiteReport withTargets(List<TargetCheck> checked) {
        return new SuiteReport(backend, mode, startedAtUtc, minutes, label, machine, loadAverageAfter, registry, storage, sizing, max,
                compare, scale, fleet, fleetRegistryResidentBytes, restart, bigFleet, notRun, jmh, heap, profile, checked);
    }
}
