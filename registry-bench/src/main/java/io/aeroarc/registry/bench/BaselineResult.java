package io.aeroarc.registry.bench;

/**
 * A raw-storage loop measured in the same run as the registry.
 *
 * @param comparedRpc the registry RPC doing the same storage work, whose rate is divided by this one
 * @param description what one call of the loop sends
 */
record BaselineResult(String comparedRpc, String description, int threads, LoadResult load) {}
