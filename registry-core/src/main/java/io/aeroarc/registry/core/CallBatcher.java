package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.CallDeadline;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Gathers concurrent single calls of one operation into batch round trips, without holding a
 * thread per waiting call.
 *
 * <p>A call that finds fewer than {@code maxInFlight} round trips running makes its own single
 * call at once, on the caller's thread: an idle server adds no timer, no wait and no thread
 * hand-off, and the call's future is complete when {@link #submit} returns. A batcher built for
 * callers that must never wait for the storage (a server's transport threads) hands that single
 * call to {@code runner} instead, and {@link #submit} returns at once. A call that finds them
 * all busy is queued and {@link #submit} returns at once; the caller's thread is free. When a round
 * trip ends and calls are queued, its slot goes to {@code runner}, which runs the queued calls in
 * batches (up to {@code maxBatchSize}, oldest first) and completes each caller's future on its own
 * thread. A runner task runs at most {@link #BATCHES_IN_A_ROW} batches, then queues itself again,
 * so no thread is held by one batcher for ever. Never more than {@code maxInFlight} round trips of
 * this operation run at once, wherever they run.
 *
 * <p>At most {@code maxQueued} calls wait; more are refused at once ({@link CallNotRunException},
 * overloaded). A queued call whose deadline passed is not run (deadline passed).
 *
 * <p>Every caller gets its own item's answer. A storage failure fails every caller of the batch
 * with its own {@link BackendUnavailableException}; any other exception of a batch (a bug, or an
 * item the batch method chokes on) is not taken as every item's fault: each item of that batch
 * is run again alone, so only the failing ones fail. What a caller does with its answer (code
 * chained on its future) cannot fail the others: the future keeps that code's exceptions.
 */
final class CallBatcher<I, R> {

    /** Batches one runner task runs before it lets other tasks of the runner go first. */
    static final int BATCHES_IN_A_ROW = 8;

    private static final System.Logger LOG = System.getLogger(CallBatcher.class.getName());

    private final String operation;
    private final Function<I, R> single;
    private final Function<List<I>, List<R>> batch;
    private final int maxBatchSize;
    private final int maxInFlight;
    private final int maxQueued;
    private final Executor runner;
    /** Whether a lone call runs on its caller's thread, else on {@link #runner}. */
    private final boolean loneCallsOnCaller;
    private final ArrayDeque<Call<I, R>> queued = new ArrayDeque<>();
    private final LongAdder roundTrips = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private int inFlight;
    private boolean closed;

    CallBatcher(String operation, Function<I, R> single, Function<List<I>, List<R>> batch, int maxBatchSize, int maxInFlight, int maxQueued,
            Executor runner) {
        this(operation, single, batch, maxBatchSize, maxInFlight, maxQueued, runner, true);
    }

    /** @param loneCallsOnCaller false: a call that finds a free slot runs on {@code runner}, never on its caller's thread */
    CallBatcher(String operation, Function<I, R> single, Function<List<I>, List<R>> batch, int maxBatchSize, int maxInFlight, int maxQueued,
            Executor runner, boolean loneCallsOnCaller) {
        if (maxBatchSize < 1 || maxInFlight < 1 || maxQueued < 1) {
            throw new IllegalArgumentException("maxBatchSize, maxInFlight and maxQueued must be positive");
        }
        this.operation = operation;
        this.single = single;
        this.batch = batch;
        this.maxBatchSize = maxBatchSize;
        this.maxInFlight = maxInFlight;
        this.maxQueued = maxQueued;
        this.runner = runner;
        this.loneCallsOnCaller = loneCallsOnCaller;
    }

    /**
     * Runs {@code item} now when a round-trip slot is free, on this thread (the future is then
     * complete on return) unless lone calls go to the runner; else queues it. Returns at once but
     * for a lone call run here.
     *
     * @param deadline a queued call is not run once this has passed
     */
    CompletableFuture<R> submit(I item, CallDeadline deadline) {
        Call<I, R> call = new Call<>(item, deadline);
        boolean alone;
        synchronized (this) {
            if (closed) {
                call.fail(stopping());
                return call.answer;
            }
            // While a slot is free nothing is queued, so this call has no one to gather.
            alone = inFlight < maxInFlight;
            if (alone) {
                inFlight++;
            } else if (queued.size() < maxQueued) {
                queued.add(call);
            } else {
                refused.increment();
                call.fail(CallNotRunException.overloaded(operation));
                return call.answer;
            }
        }
        if (alone && loneCallsOnCaller) {
            runAloneThenPassOn(call);
        } else if (alone && !runOnRunner(() -> runAloneThenPassOn(call))) {
            call.fail(stopping());
        }
        return call.answer;
    }

    private void runAloneThenPassOn(Call<I, R> call) {
        try {
            roundTrips.increment();
            runAlone(call);
        } finally {
            passOn();
        }
    }

    /** {@link #submit} without a deadline, waiting on this thread for the answer. */
    R call(I item) {
        return GatheredCalls.await(submit(item, null));
    }

    /** Round trips started so far, single or batched. */
    long roundTrips() {
        return roundTrips.sum();
    }

    /** Calls refused because {@code maxQueued} calls were already waiting, since start. */
    long refusedCalls() {
        return refused.sum();
    }

    /** Calls waiting for a round trip slot right now. */
    synchronized int queuedCalls() {
        return queued.size();
    }

    /** Refuses new calls and fails the queued ones: the registry is stopping. */
    void close() {
        List<Call<I, R>> dropped;
        synchronized (this) {
            closed = true;
            dropped = new ArrayList<>(queued);
            queued.clear();
        }
        for (Call<I, R> call : dropped) {
            call.fail(stopping());
        }
    }

    /** After a round trip: hands this slot to the runner when calls are queued, else frees it. */
    private void passOn() {
        synchronized (this) {
            if (queued.isEmpty()) {
                inFlight--;
                return;
            }
        }
        handToRunner();
    }

    private void handToRunner() {
        runOnRunner(this::runQueued);
    }

    /**
     * Runs {@code task}, which holds a round-trip slot, on the runner. False when the runner is
     * shut down (the registry is stopping): the batcher is then closed and the slot freed.
     */
    private boolean runOnRunner(Runnable task) {
        try {
            runner.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            close();
            synchronized (this) {
                inFlight--;
            }
            return false;
        }
    }

    private BackendUnavailableException stopping() {
        return new BackendUnavailableException("the registry is stopping; " + operation + " not run");
    }

    /** Runs queued batches with a slot handed over by {@link #passOn}. */
    private void runQueued() {
        boolean slotFreed = false;
        try {
            for (int i = 0; i < BATCHES_IN_A_ROW; i++) {
                List<Call<I, R>> next = nextBatch();
                if (next == null) {
                    slotFreed = true;
                    return;
                }
                run(next);
            }
        } finally {
            if (!slotFreed) {
                // Others' tasks on the runner go first; this slot's queued calls follow.
                handToRunner();
            }
        }
    }

    /**
     * The next batch of queued calls whose deadline has not passed; null, with the slot freed, when
     * none is queued. Calls whose deadline passed are failed, not run.
     */
    private List<Call<I, R>> nextBatch() {
        while (true) {
            List<Call<I, R>> next = new ArrayList<>();
            List<Call<I, R>> expired = null;
            synchronized (this) {
                if (queued.isEmpty()) {
                    inFlight--;
                    return null;
                }
                while (next.size() < maxBatchSize && !queued.isEmpty()) {
                    Call<I, R> call = queued.poll();
                    if (call.deadline != null && call.deadline.isExpired()) {
                        if (expired == null) {
                            expired = new ArrayList<>();
                        }
                        expired.add(call);
                    } else {
                        next.add(call);
                    }
                }
            }
            if (expired != null) {
                for (Call<I, R> call : expired) {
                    call.fail(CallNotRunException.deadlinePassed());
                }
            }
            if (!next.isEmpty()) {
                return next;
            }
        }
    }

    private void run(List<Call<I, R>> calls) {
        roundTrips.increment();
        if (calls.size() == 1) {
            runAlone(calls.get(0));
            return;
        }
        List<I> items = new ArrayList<>(calls.size());
        for (Call<I, R> call : calls) {
            items.add(call.item);
        }
        List<R> results;
        try {
            results = batch.apply(items);
            if (results.size() != calls.size()) {
                throw new IllegalStateException(operation + " batch of " + calls.size() + " answered " + results.size() + " items");
            }
            for (int i = 0; i < calls.size(); i++) {
                if (results.get(i) == null) {
                    throw new IllegalStateException(operation + " batch answered null for item " + i);
                }
            }
        } catch (BackendUnavailableException e) {
            for (Call<I, R> call : calls) {
                // Each caller gets its own exception of the same class: a misconfiguration stays one.
                call.fail(e instanceof BackendMisconfiguredException ? new BackendMisconfiguredException(e.getMessage(), e)
                        : new BackendUnavailableException(e.getMessage(), e));
            }
            return;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, operation + " batch of " + calls.size() + " failed; running its items alone", e);
            for (Call<I, R> call : calls) {
                runAlone(call);
            }
            return;
        } catch (Error e) {
            for (Call<I, R> call : calls) {
                call.fail(new IllegalStateException(operation + " batch failed", e));
            }
            throw e;
        }
        // Answered only once the whole batch is known good, so a bad batch never answers some callers twice.
        for (int i = 0; i < calls.size(); i++) {
            calls.get(i).answer.complete(results.get(i));
        }
    }

    private void runAlone(Call<I, R> call) {
        R result;
        try {
            result = single.apply(call.item);
        } catch (RuntimeException e) {
            call.fail(e);
            return;
        }
        call.answer.complete(result);
    }

    /** One caller's item and the future its answer completes. */
    private static final class Call<I, R> {

        final I item;
        final CallDeadline deadline;
        final CompletableFuture<R> answer = new CompletableFuture<>();

        Call(I item, CallDeadline deadline) {
            this.item = item;
            this.deadline = deadline;
        }

        void fail(RuntimeException e) {
            answer.completeExceptionally(e);
        }
    }
}
