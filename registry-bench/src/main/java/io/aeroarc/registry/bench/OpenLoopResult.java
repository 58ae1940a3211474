package io.aeroarc.registry.bench;

/**
 * Load at a fixed rate, whatever the registry's latency.
 *
 * @param requestedPerSecond the rate calls were due at
 * @param notSent calls due while too many were already in flight; each one means the registry
 *     fell behind the rate
 */
record OpenLoopResult(LoadResult load, double requestedPerSecond, long notSent) {}
