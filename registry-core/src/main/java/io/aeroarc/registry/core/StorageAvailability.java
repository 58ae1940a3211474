package io.aeroarc.registry.core;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Whether the storage is known to answer: the state machine behind {@link FailFastBackend} and the
 * health service.
 *
 * <pre>
 *   UP   --(a call or the probe: storage unavailable)-->  DOWN
 *   DOWN --(a trial call or the probe answers)--------->  UP
 * </pre>
 *
 * While DOWN, calls are refused at once without a storage round trip, except one trial call at a
 * time and at most one per {@link #trialInterval}, so recovery is seen by calls as well as by the
 * health probe (which probes faster while DOWN). Any answer from the storage counts, also "not
 * found": only {@code BackendUnavailableException} means the storage is down.
 */
public final class StorageAvailability {

    /** The two states; the health service publishes SERVING for UP and NOT_SERVING for DOWN. */
    public enum State { UP, DOWN }

    /** Told of every change of state, on the thread that saw it; must return quickly. */
    public interface Listener {
        void changed(State state, String reason);
    }

    public static final Duration DEFAULT_TRIAL_INTERVAL = Duration.ofMillis(250);

    private final LongSupplier nanoTime;
    private final long trialIntervalNanos;
    private final Listener listener;
    private final AtomicBoolean trialInFlight = new AtomicBoolean();
    private State state = State.UP;
    private long lastTrialNanos;

    public StorageAvailability(Duration trialInterval, LongSupplier nanoTime, Listener listener) {
        this.trialIntervalNanos = trialInterval.toNanos();
        this.nanoTime = nanoTime;
        this.listener = listener;
    }

    public StorageAvailability(Listener listener) {
        this(DEFAULT_TRIAL_INTERVAL, System::nanoTime, listener);
    }

    public synchronized State state() {
        return state;
    }

    /**
     * Whether a call may go to the storage. While DOWN, true for one trial call per interval;
     * the caller then must report its outcome with {@link #answered} or {@link #unavailable}.
     */
    boolean tryAdmit() {
        synchronized (this) {
            if (state == State.UP) {
                return true;
            }
            long now = nanoTime.getAsLong();
            if (now - lastTrialNanos < trialIntervalNanos || !trialInFlight.compareAndSet(false, true)) {
                return false;
            }
            lastTrialNanos = now;
            return true;
        }
    }

    /** The storage answered a call or the probe. */
    public void answered() {
        boolean changed;
        synchronized (this) {
            trialInFlight.set(false);
            changed = state == State.DOWN;
            state = State.UP;
        }
        if (changed) {
            listener.changed(State.UP, "the storage answers");
        }
    }

    /** The storage did not answer a call or the probe. */
    public void unavailable(String reason) {
        boolean changed;
        synchronized (this) {
            trialInFlight.set(false);
            changed = state == State.UP;
            if (changed) {
                state = State.DOWN;
                lastTrialNanos = nanoTime.getAsLong();
            }
        }
        if (changed) {
            listener.changed(State.DOWN, reason);
        }
    }

    /** A trial call ended without telling anything about the storage (its own deadline passed first). */
    void trialAbandoned() {
        trialInFlight.set(false);
    }
}
