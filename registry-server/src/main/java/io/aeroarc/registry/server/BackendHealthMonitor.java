package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.spi.RegistryBackend;
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
 * Probes the backend on a fixed delay and publishes the outcome through the standard health
 * service: SERVING while the probe answers, NOT_SERVING otherwise. Logs only the transitions.
 */
final class BackendHealthMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BackendHealthMonitor.class);

    private final String backendName;
    private final RegistryBackend backend;
    private final HealthStatusManager health;
    private final Duration interval;
    private final Duration probeTimeout;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(daemon("registry-health"));
    // The probe runs on its own thread so a backend that ignores its own timeout cannot stall the schedule.
    private final ExecutorService prober = Executors.newSingleThreadExecutor(daemon("registry-health-probe"));
    private Future<?> pendingProbe;
    private volatile ServingStatus status;

    BackendHealthMonitor(String backendName, RegistryBackend backend, HealthStatusManager health, Duration interval, Duration probeTimeout) {
        this.backendName = backendName;
        this.backend = backend;
        this.health = health;
        this.interval = interval;
        this.probeTimeout = probeTimeout;
    }

    /** Probes once before returning, so the first health answer is already a real one, then keeps probing. */
    void start() {
        check();
        scheduler.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    ServingStatus status() {
        return status;
    }

    private void check() {
        if (pendingProbe != null && !pendingProbe.isDone()) {
            publish(ServingStatus.NOT_SERVING, "the previous probe has not returned");
            return;
        }
        pendingProbe = prober.submit(backend::probe);
        try {
            pendingProbe.get(probeTimeout.toMillis(), TimeUnit.MILLISECONDS);
            publish(ServingStatus.SERVING, null);
        } catch (TimeoutException e) {
            publish(ServingStatus.NOT_SERVING, "probe timed out after " + probeTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            publish(ServingStatus.NOT_SERVING, String.valueOf(e.getCause().getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            publish(ServingStatus.NOT_SERVING, e.toString());
        }
    }

    private void publish(ServingStatus next, String reason) {
        if (next == status) {
            return;
        }
        ServingStatus previous = status;
        status = next;
        health.setStatus("", next);
        health.setStatus(AeroRegistryGrpc.SERVICE_NAME, next);
        if (next == ServingStatus.SERVING) {
            LOG.info("backend {} answers{}; health SERVING", backendName, previous == null ? "" : " again");
        } else {
            LOG.warn("backend {} is unavailable: {}; health NOT_SERVING", backendName, reason);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        prober.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
