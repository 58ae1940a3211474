package io.aeroarc.registry.bench;

import java.time.Duration;
import java.util.function.Consumer;

/** How long a load phase warms up and then measures. */
record Phases(Duration warmup, Duration measure) {

    /** What a measured phase took: its length, the processor use in it, and when it ran. */
    record Measurement(double seconds, CpuUse cpu, LoadResult.Window window) {}

    /**
     * Sleeps through the warm-up, calls {@code reset}, then sleeps through the measured part with
     * {@code measuring} switched on for exactly that part, while load runs on other threads.
     */
    Measurement run(Runnable reset, Consumer<Boolean> measuring, CpuMeter cpu) throws InterruptedException {
        sleep(warmup);
        reset.run();
        CpuMeter.Sample cpuStart = cpu.sample();
        long startEpochMs = System.currentTimeMillis();
        long startNanos = System.nanoTime();
        measuring.accept(true);
        sleep(measure);
        measuring.accept(false);
        long endNanos = System.nanoTime();
        CpuUse cpuUse = cpu.since(cpuStart);
        long endEpochMs = System.currentTimeMillis();
        return new Measurement((endNanos - startNanos) / 1e9, cpuUse, new LoadResult.Window(startEpochMs, endEpochMs));
    }

    static void sleep(Duration duration) throws InterruptedException {
        long millis = duration.toMillis();
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }
}
