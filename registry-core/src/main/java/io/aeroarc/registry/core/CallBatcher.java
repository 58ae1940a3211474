package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Gathers concurrent single calls of one operation into batch round trips, on the callers' own
 * threads.
 *
 * <p>A call that finds fewer than {@code maxInFlight} round trips running makes its own single
 * call at once: an idle server adds no timer, no wait and no thread hand-off. A call that finds
 * them all busy queues; whenever a round trip ends, its thread hands the next batch (up to
 * {@code maxBatchSize} queued calls, oldest first) to the first caller of that batch, which runs
 * it and answers the others. So calls gather only while the storage is busy anyway, and never
 * more than {@code maxInFlight} round trips of this operation run at once.
 *
 * <p>Every caller gets its own item's answer. A storage failure fails every caller of the batch
 * with its own {@link BackendUnavailableException}; any other exception of a batch (a bug, or an
 * item the batch method chokes on) is not taken as every item's fault: each item of that batch
 * is run again alone, so only the failing ones fail.
 */
final class CallBatcher<I, R> {

    private static final System.Logger LOG = System.getLogger(CallBatcher.class.getName());

    private final String operation;
    private final Function<I, R> single;
    private final Function<List<I>, List<R>> batch;
    private final int maxBatchSize;
    private final int maxInFlight;
    private final ArrayDeque<Call<I, R>> queued = new ArrayDeque<>();
    private final LongAdder roundTrips = new LongAdder();
    private int inFlight;

    CallBatcher(String operation, Function<I, R> single, Function<List<I>, List<R>> batch, int maxBatchSize, int maxInFlight) {
        if (maxBatchSize < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("maxBatchSize and maxInFlight must be positive");
        }
        this.operation = operation;
        this.single = single;
        this.batch = batch;
        this.maxBatchSize = maxBatchSize;
        this.maxInFlight = maxInFlight;
    }

    R call(I item) {
        Call<I, R> call = new Call<>(item);
        boolean alone;
        synchronized (this) {
            // While a slot is free nothing is queued, so this call has no one to gather.
            alone = inFlight < maxInFlight;
            if (alone) {
                inFlight++;
            } else {
                queued.add(call);
            }
        }
        if (alone) {
            try {
                roundTrips.increment();
                return single.apply(item);
            } finally {
                handOff();
            }
        }
        List<Call<I, R>> toLead = call.awaitTurn();
        if (toLead != null) {
            try {
                run(toLead);
            } finally {
                handOff();
            }
        }
        return call.outcome();
    }

    /** Round trips started so far, single or batched. */
    long roundTrips() {
        return roundTrips.sum();
    }

    /** Calls waiting for a round trip slot right now. */
    synchronized int queuedCalls() {
        return queued.size();
    }

    /** Passes this thread's round-trip slot to the next batch, or frees it when none is queued. */
    private void handOff() {
        List<Call<I, R>> next;
        synchronized (this) {
            if (queued.isEmpty()) {
                inFlight--;
                return;
            }
            int size = Math.min(queued.size(), maxBatchSize);
            next = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                next.add(queued.poll());
            }
        }
        next.get(0).lead(next);
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
        try {
            List<R> results = batch.apply(items);
            if (results.size() != calls.size()) {
                throw new IllegalStateException(operation + " batch of " + calls.size() + " answered " + results.size() + " items");
            }
            for (int i = 0; i < calls.size(); i++) {
                R result = results.get(i);
                if (result == null) {
                    throw new IllegalStateException(operation + " batch answered null for item " + i);
                }
                calls.get(i).answer(result);
            }
        } catch (BackendUnavailableException e) {
            for (Call<I, R> call : calls) {
                // Each caller gets its own exception of the same class: a misconfiguration stays one.
                call.fail(e instanceof BackendMisconfiguredException ? new BackendMisconfiguredException(e.getMessage(), e)
                        : new BackendUnavailableException(e.getMessage(), e));
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, operation + " batch of " + calls.size() + " failed; running its items alone", e);
            for (Call<I, R> call : calls) {
                if (!call.isAnswered()) {
                    runAlone(call);
                }
            }
        } catch (Error e) {
            for (Call<I, R> call : calls) {
                if (!call.isAnswered()) {
                    call.fail(new IllegalStateException(operation + " batch failed", e));
                }
            }
            throw e;
        }
    }

    private void runAlone(Call<I, R> call) {
        try {
            call.answer(single.apply(call.item));
        } catch (RuntimeException e) {
            call.fail(e);
        }
    }

    /** One caller's item and, once known, its answer or its turn to lead a batch. */
    private static final class Call<I, R> {

        final I item;
        private final Thread caller = Thread.currentThread();
        private volatile List<Call<I, R>> batchToLead;
        private volatile boolean answered;
        private R result;
        private RuntimeException failure;

        Call(I item) {
            this.item = item;
        }

        void lead(List<Call<I, R>> batch) {
            batchToLead = batch;
            LockSupport.unpark(caller);
        }

        void answer(R value) {
            result = value;
            finish();
        }

        void fail(RuntimeException e) {
            failure = e;
            finish();
        }

        boolean isAnswered() {
            return answered;
        }

        private void finish() {
            boolean wasAnswered = answered;
            answered = true; // publishes result and failure, written before it
            if (!wasAnswered && Thread.currentThread() != caller) {
                LockSupport.unpark(caller);
            }
        }

        /**
         * Waits until this call is answered (returns null) or must lead a batch (returns it). Not
         * interruptible: a queued call may be handed a batch that others wait on, and every round
         * trip is bounded by the backend's own timeout.
         */
        List<Call<I, R>> awaitTurn() {
            boolean interrupted = false;
            while (!answered && batchToLead == null) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return answered ? null : batchToLead;
        }

        R outcome() {
            if (failure != null) {
                throw failure;
            }
            return result;
        }
    }
}
