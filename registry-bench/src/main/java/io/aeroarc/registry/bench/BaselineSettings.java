package io.aeroarc.registry.bench;

/**
 * How a raw baseline runs.
 *
 * @param agents agents to set up, {@code agentsPerRelay} on each relay
 * @param threads blocking callers, each with its own connection
 * @param batchSize ids per batch heartbeat
 */
record BaselineSettings(int agents, int agentsPerRelay, int threads, int batchSize, Phases phases, CpuMeter cpu) {}
