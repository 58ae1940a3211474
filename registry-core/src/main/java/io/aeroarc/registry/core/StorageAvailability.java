package io.aeroarc.registry.core;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Whether the storage is known to answer: the state machine behind {@link FailFastBackend} and the
 * health service.
 *
 * <pre>
 *   UP            --(a call or the probe: storage unavailable)-->   DOWN
 *   UP, DOWN      --(a call or the probe: storage misconfigured)--> MISCONFIGURED
 *   DOWN, MISCONF --(a trial call or the probe answers)--------->   UP
 * </pre>
 *
 * While DOWN, calls are refused at once without a storage round trip, except one trial call at a
 * time and at most one per {@link #trialInterval}, so recovery is seen by calls as well as by the
 * health probe (which probes faster while DOWN). Any answer from the storage counts, also "not
 * found" and a backend's bug: only {@code BackendUnavailableException} means the storage is down.
 * MISCONFIGURED (the storage refuses the registry's credentials or rights) behaves as DOWN, so the
 * fix is seen as soon as it is made, and is told apart for the operator's log.
 */
public final class StorageAvailability {

    /** The states; the health service publishes SERVING for UP and NOT_SERVING for the others. */
    public enum State { UP, DOWN, MISCONFIGURED }

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
            changed = state != State.UP;
            state = State.UP;
        }
        if (changed) {
            listener.changed(State.UP, "the storage answers");
        }
    }

    /** The storage did not answer a call or the probe. */
    public void unavailable(String reason) {
        moveTo(State.DOWN, reason);
    }

    /** The storage answered a call or the probe by refusing the registry's credentials or rights. */
    public void misconfigured(String reason) {
        moveTo(State.MISCONFIGURED, reason);
    }

    private void moveTo(State next, String reason) {
        boolean changed;
        synchronized (this) {
            trialInFlight.set(false);
            changed = state != next;
            if (state == State.UP) {
                lastTrialNanos = nanoTime.getAsLong();
            }
            state = next;
        }
        if (changed) {
            listener.changed(next, reason);
        }
    }

    /** A trial call ended without telling anything about the storage (its own deadline passed first). */
    void trialAbandoned() {
        trialInFlight.set(false);
    }
}
