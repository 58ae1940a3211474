package io.aeroarc.registry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Samples processor time of the registry process, of this process, of the storage servers this
 * process started (its other children), and of the whole machine, so each phase can say who used
 * the two shared cores.
 */
final class CpuMeter {

    /** Clock ticks per second of {@code /proc/stat}; USER_HZ is 100 on every Linux we run on. */
    private static final double PROC_STAT_TICKS_PER_SECOND = 100.0;
    private static final Path PROC_STAT = Path.of("/proc/stat");

    private final long registryPid;

    /** @param registryPid the registry server's process id, or -1 for none */
    CpuMeter(long registryPid) {
        this.registryPid = registryPid;
    }

    static CpuMeter withoutRegistry() {
        return new CpuMeter(-1);
    }

    record Sample(long nanos, long registryCpuNanos, long ownCpuNanos, long storageCpuNanos, long machineBusyTicks) {}

    Sample sample() {
        long registry = registryPid < 0 ? 0 : ProcessHandle.of(registryPid).map(CpuMeter::cpuNanos).orElse(0L);
        long storage = ProcessHandle.current().children()
                .filter(child -> child.pid() != registryPid)
                .mapToLong(CpuMeter::cpuNanos)
                .sum();
        return new Sample(System.nanoTime(), registry, cpuNanos(ProcessHandle.current()), storage, machineBusyTicks());
    }

    CpuUse since(Sample start) {
        Sample end = sample();
        double seconds = (end.nanos() - start.nanos()) / 1e9;
        double registry = (end.registryCpuNanos() - start.registryCpuNanos()) / 1e9 / seconds;
        double own = (end.ownCpuNanos() - start.ownCpuNanos()) / 1e9 / seconds;
        double storage = Math.max(0, (end.storageCpuNanos() - start.storageCpuNanos()) / 1e9 / seconds);
        double machine = start.machineBusyTicks() < 0 || end.machineBusyTicks() < 0
                ? Double.NaN
                : (end.machineBusyTicks() - start.machineBusyTicks()) / PROC_STAT_TICKS_PER_SECOND / seconds;
        double other = Double.isNaN(machine) ? Double.NaN : Math.max(0, machine - registry - own - storage);
        return new CpuUse(registry, own, storage, machine, other);
    }

    private static long cpuNanos(ProcessHandle process) {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /** Busy ticks of all cores: everything but idle and iowait; -1 when /proc/stat is not there. */
    private static long machineBusyTicks() {
        try {
            List<String> lines = Files.readAllLines(PROC_STAT);
            String[] fields = lines.get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < fields.length && i <= 8; i++) {
                if (i != 4 && i != 5) { // idle, iowait
                    busy += Long.parseLong(fields[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
