package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;

/**
 * Open-loop load: calls are due at a fixed rate and each one's latency counts from when it was
 * due, not from when it was sent, so a stall of the sender or of the registry shows in the
 * percentiles instead of hiding (coordinated omission).
 */
final class OpenLoop {

    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

    private OpenLoop() {}

    /**
     * @param maxInFlight calls in flight beyond which due calls are counted as not sent rather
     *     than queued without bound
     */
    static OpenLoopResult run(String name, int unitsPerCall, CallSource source, double perSecond, Phases phases,
            int maxInFlight, CpuMeter cpu) throws InterruptedException {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive, was " + perSecond);
        }
        Recorder latencies = new Recorder(3);
        LongAdder calls = new LongAdder();
        LongAdder notSent = new LongAdder();
        Outcomes failures = new Outcomes();
        AtomicInteger inFlight = new AtomicInteger();

        double intervalNanos = 1e9 / perSecond;
        long start = System.nanoTime();
        long measureFrom = start + phases.warmup().toNanos();
        long end = measureFrom + phases.measure().toNanos();
        CpuMeter.Sample cpuStart = null;
        long startEpochMs = 0;
        for (long i = 0; ; i++) {
            long due = start + (long) (i * intervalNanos);
            if (due >= end) {
                break;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            boolean measured = due >= measureFrom;
            if (measured && cpuStart == null) {
                cpuStart = cpu.sample();
                startEpochMs = System.currentTimeMillis();
            }
            if (inFlight.get() >= maxInFlight) {
                if (measured) {
                    notSent.increment();
                }
                continue;
            }
            inFlight.incrementAndGet();
            ListenableFuture<?> call = source.start();
            call.addListener(() -> {
                long latency = System.nanoTime() - due;
                if (measured) {
                    try {
                        call.get();
                        latencies.recordValue(latency);
                        calls.increment();
                    } catch (ExecutionException e) {
                        failures.fail(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                inFlight.decrementAndGet();
            }, MoreExecutors.directExecutor());
        }
        long sleepUntil = end - System.nanoTime();
        if (sleepUntil > 0) {
            LockSupport.parkNanos(sleepUntil);
        }
        CpuUse cpuUse = cpuStart == null ? null : cpu.since(cpuStart);
        long endEpochMs = System.currentTimeMillis();
        long drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        while (inFlight.get() > 0) {
            if (System.nanoTime() > drainDeadline) {
                throw new IllegalStateException(name + ": calls still in flight " + DRAIN_TIMEOUT + " after the phase ended");
            }
            Thread.sleep(5);
        }
        LoadResult load = LoadResult.Measured.of(name, unitsPerCall, calls.sum(), failures.snapshot(), phases.measure().toNanos() / 1e9,
                latencies.getIntervalHistogram(), cpuUse, new LoadResult.Window(startEpochMs, endEpochMs)).result();
        return new OpenLoopResult(load, perSecond, notSent.sum());
    }
}
