package io.aeroarc.registry.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/** Closed-loop load from blocking clients: {@code threads} threads, each calling again as soon as its call returns. */
final class BlockingClosedLoop {

    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(60);

    /** One blocking call; throws when it fails. */
    @FunctionalInterface
    interface BlockingCall {
        void call() throws Exception;
    }

    private BlockingClosedLoop() {}

    static LoadResult.Measured run(String name, int unitsPerCall, BlockingCall call, int threads, Phases phases, CpuMeter cpu)
            throws InterruptedException {
        Recorder latencies = new Recorder(3);
        LongAdder calls = new LongAdder();
        Outcomes failures = new Outcomes();
        Flag measuring = new Flag();
        Flag stopping = new Flag();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread worker = new Thread(() -> {
                while (!stopping.on) {
                    long start = System.nanoTime();
                    try {
                        call.call();
                        if (measuring.on) {
                            latencies.recordValue(System.nanoTime() - start);
                            calls.increment();
                        }
                    } catch (Exception e) {
                        if (measuring.on) {
                            failures.fail(e);
                        }
                    }
                }
            }, name + "-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
        Phases.Measurement measured = phases.run(latencies::reset, on -> measuring.on = on, cpu);
        stopping.on = true;
        for (Thread worker : workers) {
            worker.join(JOIN_TIMEOUT.toMillis());
            if (worker.isAlive()) {
                throw new IllegalStateException(name + ": a caller is still blocked " + JOIN_TIMEOUT + " after the phase ended");
            }
        }
        return LoadResult.Measured.of(name, unitsPerCall, calls.sum(), failures.snapshot(), measured.seconds(),
                latencies.getIntervalHistogram(), measured.cpu(), measured.window());
    }

    private static final class Flag {
        volatile boolean on;
    }
}
