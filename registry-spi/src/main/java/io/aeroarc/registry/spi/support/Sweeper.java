package io.aeroarc.registry.spi.support;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a backend's background clean-up on one daemon thread, {@code interval} after the end of the
 * previous run. Reads never depend on a sweep (they check expiry themselves), so a failed sweep
 * only delays freeing storage: the failure is logged once per failing streak (a storage outage
 * would otherwise log every interval), and recovery once.
 */
public final class Sweeper implements AutoCloseable {

    /** One sweep. It may throw: the next sweep retries. {@link InterruptedException} means the sweeper is closing. */
    @FunctionalInterface
    public interface Sweep {
        void run() throws Exception;
    }

    private static final System.Logger LOG = System.getLogger(Sweeper.class.getName());
    /** How long {@link #close()} waits for a running sweep, which the backend's own timeouts bound. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final String name;
    private final Sweep sweep;
    private final ScheduledExecutorService executor;
    /** Only the sweeper thread touches it. */
    private boolean failing;

    private Sweeper(String name, Duration interval, Sweep sweep) {
        this.name = name;
        this.sweep = sweep;
        if (interval.isZero()) {
            this.executor = null;
        } else {
            this.executor = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(name));
            long millis = Math.max(1, interval.toMillis());
            executor.scheduleWithFixedDelay(this::runQuietly, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Starts sweeping every {@code interval} on a thread named {@code name}.
     *
     * @param interval time between the end of one sweep and the start of the next;
     *     {@link Duration#ZERO} starts no thread (tests call their sweep themselves)
     */
    public static Sweeper every(Duration interval, String name, Sweep sweep) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sweep, "sweep");
        if (interval.isNegative()) {
            throw new IllegalArgumentException("sweep interval must not be negative");
        }
        return new Sweeper(name, interval, sweep);
    }

    private void runQuietly() {
        try {
            sweep.run();
            if (failing) {
                LOG.log(System.Logger.Level.INFO, "{0}: sweeping works again", name);
                failing = false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        } catch (Exception e) {
            if (!failing) {
                LOG.log(System.Logger.Level.WARNING, name + ": sweep failed, retrying every sweep: " + e, e);
                failing = true;
            } else {
                LOG.log(System.Logger.Level.DEBUG, "{0}: sweep failed again: {1}", name, e);
            }
        }
    }

    /** Stops sweeping: interrupts a running sweep and waits for it a few seconds at most. Never throws. */
    @Override
    public void close() {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
