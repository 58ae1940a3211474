package io.aeroarc.registry.bench;

/**
 * Processor use over a phase, in cores (1.0 = one core busy for the whole phase).
 *
 * @param registryCores the registry server process
 * @param loadGeneratorCores this process
 * @param storageCores storage servers this process started (its other child processes); 0 when
 *     the storage is embedded or runs elsewhere
 * @param machineCores all processes on the machine, from {@code /proc/stat}; NaN off Linux
 * @param otherCores what the machine spent beyond the three above: other people's work
 */
record CpuUse(double registryCores, double loadGeneratorCores, double storageCores, double machineCores, double otherCores) {}
