package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * Closed-loop load: {@code concurrency} callers, each starting its next call as soon as its last
 * one completes. Measures the most a registry does with that many calls in flight; latencies are
 * those at saturation. Nothing is recorded during the warm-up.
 */
final class ClosedLoop {

    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

    private final CallSource source;
    private final Recorder latencies = new Recorder(3);
    private final LongAdder calls = new LongAdder();
    private final Outcomes failures = new Outcomes();
    private final CountDownLatch drained;
    // A call that completes while it is being started would run its callback on the caller's stack;
    // handing those to a pool keeps a burst of immediate failures from recursing without bound.
    private final Executor immediateCompletions = ForkJoinPool.commonPool();
    private volatile boolean measuring;
    private volatile boolean stopping;

    private ClosedLoop(CallSource source, int concurrency) {
        this.source = source;
        this.drained = new CountDownLatch(concurrency);
    }

    static LoadResult.Measured run(String name, int unitsPerCall, CallSource source, int concurrency, Phases phases, CpuMeter cpu)
            throws InterruptedException {
        ClosedLoop loop = new ClosedLoop(source, concurrency);
        for (int i = 0; i < concurrency; i++) {
            loop.next();
        }
        Phases.Measurement measured = phases.run(loop.latencies::reset, on -> loop.measuring = on, cpu);
        loop.stopping = true;
        if (!loop.drained.await(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + ": calls still in flight " + DRAIN_TIMEOUT + " after the phase ended");
        }
        return LoadResult.Measured.of(name, unitsPerCall, loop.calls.sum(), loop.failures.snapshot(), measured.seconds(),
                loop.latencies.getIntervalHistogram(), measured.cpu(), measured.window());
    }

    private void next() {
        if (stopping) {
            drained.countDown();
            return;
        }
        long start = System.nanoTime();
        ListenableFuture<?> call = source.start();
        Runnable completion = () -> completed(call, start);
        if (call.isDone()) {
            immediateCompletions.execute(completion);
        } else {
            call.addListener(completion, MoreExecutors.directExecutor());
        }
    }

    private void completed(ListenableFuture<?> call, long startNanos) {
        long elapsed = System.nanoTime() - startNanos;
        if (measuring) {
            try {
                call.get();
                latencies.recordValue(elapsed);
                calls.increment();
            } catch (ExecutionException e) {
                failures.fail(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        next();
    }
}
