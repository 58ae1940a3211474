package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.core.StorageAvailability;
import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.support.DaemonThreads;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes the backend and publishes the {@link StorageAvailability} through the standard health
 * service: SERVING while UP, NOT_SERVING while DOWN or MISCONFIGURED. Calls that find the storage down turn health
 * NOT_SERVING at once, without waiting for the next probe. The probe runs every
 * {@code interval} while UP and every {@code downInterval} while DOWN, so recovery is seen
 * quickly even when no call comes. Logs only the transitions.
 */
final class BackendHealthMonitor implements AutoCloseable, StorageAvailability.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(BackendHealthMonitor.class);

    private final String backendName;
    private final HealthStatusManager health;
    private final Duration interval;
    private final Duration downInterval;
    private final Duration probeTimeout;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("registry-health"));
    // The probe runs on its own thread so a backend that ignores its own timeout cannot stall the schedule.
    private final ExecutorService prober = Executors.newSingleThreadExecutor(DaemonThreads.named("registry-health-probe"));
    private RegistryBackend backend;
    private StorageAvailability availability;
    private Future<?> pendingProbe;
    private long lastProbeNanos;
    private ServingStatus status;
    private StorageAvailability.State published;
    private String reason;

    BackendHealthMonitor(String backendName, HealthStatusManager health, Duration interval, Duration downInterval, Duration probeTimeout) {
        this.backendName = backendName;
        this.health = health;
        this.interval = interval;
        this.downInterval = downInterval;
        this.probeTimeout = probeTimeout;
    }

    /**
     * Probes once before returning, so the first health answer is already a real one, then keeps probing.
     *
     * @param guarded the fail-fast backend, whose probe reaches the storage and updates {@code availability}
     */
    void start(RegistryBackend guarded, StorageAvailability storage) {
        this.backend = guarded;
        this.availability = storage;
        check();
        scheduler.scheduleWithFixedDelay(this::tick, downInterval.toMillis(), downInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    synchronized ServingStatus status() {
        return status;
    }

    /** Why health last changed, as logged. */
    synchronized String reason() {
        return reason;
    }

    @Override
    public void changed(StorageAvailability.State state, String reason) {
        publish(state, reason);
    }

    private void tick() {
        boolean up = availability.state() == StorageAvailability.State.UP;
        if (!up || System.nanoTime() - lastProbeNanos >= interval.toNanos()) {
            check();
        }
    }

    private void check() {
        lastProbeNanos = System.nanoTime();
        if (pendingProbe != null && !pendingProbe.isDone()) {
            availability.unavailable("the previous probe has not returned");
            return;
        }
        pendingProbe = prober.submit(backend::probe);
        try {
            pendingProbe.get(probeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            availability.unavailable("probe timed out after " + probeTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BackendMisconfiguredException) {
                availability.misconfigured(String.valueOf(cause.getMessage()));
            } else if (cause instanceof BackendUnavailableException) {
                availability.unavailable(String.valueOf(cause.getMessage()));
            } else {
                // A bug in the backend's probe: the storage answered, so health stays as it is.
                LOG.error("backend {} probe failed with a bug; health unchanged", backendName, cause);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            availability.unavailable(e.toString());
        }
        changed(availability.state(), "probe");
    }

    private synchronized void publish(StorageAvailability.State state, String reason) {
        if (state == published) {
            return;
        }
        ServingStatus next = state == StorageAvailability.State.UP ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        StorageAvailability.State previous = published;
        published = state;
        this.reason = reason;
        status = next;
        health.setStatus("", next);
        health.setStatus(AeroRegistryGrpc.SERVICE_NAME, next);
        switch (state) {
            case UP -> LOG.info("backend {} answers{}; health SERVING", backendName, previous == null ? "" : " again");
            case DOWN -> LOG.warn("backend {} is unavailable: {}; health NOT_SERVING, calls fail fast until it answers", backendName, reason);
            case MISCONFIGURED -> LOG.error("backend {} is misconfigured: {}; health NOT_SERVING, calls answer UNAVAILABLE until the "
                    + "storage accepts the registry: fix the backend options (credentials) or the storage's users and grants",
                    backendName, reason);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        prober.shutdownNow();
    }
}
