package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.CallDeadline;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * A backend that refuses calls at once while {@link StorageAvailability} says the storage is down,
 * so a storage outage costs each call nothing instead of the backend's timeout, however many calls
 * are waiting. Every outcome of the calls it lets through updates the availability.
 *
 * <p>{@link #probe()} always reaches the storage: the health probe is how recovery is seen when no
 * trial call comes.
 *
 * <p>The gathered calls ({@link GatheredCalls}) are guarded alike: refused at once while DOWN, and
 * their outcome, when their future completes, updates the availability. A gathered call refused
 * without reaching the storage ({@link CallNotRunException}) tells nothing about it.
 */
public final class FailFastBackend extends BackendLayer implements GatheredCalls {

    private final StorageAvailability availability;
    /** The call's deadline when this is a per-call view; a failure after it passed says nothing about the storage. */
    private final CallDeadline deadline;

    public FailFastBackend(RegistryBackend delegate, StorageAvailability availability) {
        this(delegate, availability, null);
    }

    private FailFastBackend(RegistryBackend delegate, StorageAvailability availability, CallDeadline deadline) {
        super(delegate);
        this.availability = availability;
        this.deadline = deadline;
    }

    public StorageAvailability availability() {
        return availability;
    }

    @Override
    public FailFastBackend boundedBy(CallDeadline callDeadline) {
        return new FailFastBackend(delegate.boundedBy(callDeadline), availability, callDeadline);
    }

    @Override
    public long registerRelay(RelayRegistration relay, Duration ttl) {
        return guarded(() -> delegate.registerRelay(relay, ttl));
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        return guarded(() -> delegate.heartbeatRelay(relayId, ttl));
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        return guarded(() -> delegate.getRelay(relayId));
    }

    @Override
    public boolean deregisterRelay(String relayId) {
        return guarded(() -> delegate.deregisterRelay(relayId));
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        return guarded(() -> delegate.listRelays(labelSelector, page));
    }

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        return guarded(() -> delegate.registerAgent(agentId, relayId, ttl));
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        return guarded(() -> delegate.heartbeatAgent(agentId, fence, ttl));
    }

    @Override
    public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
        return guarded(() -> delegate.heartbeatAgents(relayId, agentIds, ttl));
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        return guarded(() -> delegate.deregisterAgent(agentId, relayId));
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        return guarded(() -> delegate.getPlacement(agentId));
    }

    @Override
    public CompletableFuture<AgentHeartbeat> heartbeatAgentAsync(String agentId, Fence fence, Duration ttl) {
        return guardedAsync(() -> GatheredCalls.of(delegate).heartbeatAgentAsync(agentId, fence, ttl));
    }

    @Override
    public CompletableFuture<Optional<RelayPlacement>> getPlacementAsync(String agentId) {
        return guardedAsync(() -> GatheredCalls.of(delegate).getPlacementAsync(agentId));
    }

    @Override
    public CompletableFuture<Optional<PlacementRecord>> currentPlacementAsync(String agentId) {
        return guardedAsync(() -> GatheredCalls.of(delegate).currentPlacementAsync(agentId));
    }

    @Override
    public CompletableFuture<Optional<PlacementRecord>> registerAgentAsync(String agentId, String relayId, Duration ttl) {
        return guardedAsync(() -> GatheredCalls.of(delegate).registerAgentAsync(agentId, relayId, ttl));
    }

    @Override
    public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
        return guarded(() -> delegate.registerAgentBatch(requests, ttl));
    }

    @Override
    public List<PlacementRecord> getPlacements(List<String> agentIds) {
        return guarded(() -> delegate.getPlacements(agentIds));
    }

    @Override
    public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
        return guarded(() -> delegate.listAgents(relayId, page));
    }

    @Override
    public void probe() {
        try {
            delegate.probe();
        } catch (BackendMisconfiguredException e) {
            availability.misconfigured("probe: " + e.getMessage());
            throw e;
        } catch (BackendUnavailableException e) {
            availability.unavailable("probe: " + e.getMessage());
            throw e;
        } catch (RuntimeException e) {
            // A bug in the probe is not an outage either.
            availability.answered();
            throw e;
        }
        availability.answered();
    }





    @Override
    public void close() {
        delegate.close();
    }

    private <T> T guarded(Supplier<T> call) {
        if (!availability.tryAdmit()) {
            throw notTried();
        }
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            failed(e);
            throw e;
        }
        availability.answered();
        return result;
    }

    /** As {@link #guarded}, with the outcome taken when the future completes, on the thread that completes it. */
    private <T> CompletableFuture<T> guardedAsync(Supplier<CompletableFuture<T>> call) {
        if (!availability.tryAdmit()) {
            return CompletableFuture.failedFuture(notTried());
        }
        CompletableFuture<T> future;
        try {
            future = call.get();
        } catch (RuntimeException e) {
            failed(e);
            return CompletableFuture.failedFuture(e);
        }
        return future.whenComplete((result, failure) -> {
            if (failure == null) {
                availability.answered();
            } else {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                if (cause instanceof RuntimeException e) {
                    failed(e);
                } else {
                    availability.trialAbandoned();
                }
            }
        });
    }

    private RuntimeException notTried() {
        if (availability.state() == StorageAvailability.State.MISCONFIGURED) {
            return new BackendMisconfiguredException("storage known to refuse the registry's configuration; not tried");
        }
        return new BackendUnavailableException("storage known to be unavailable; not tried");
    }

    /** What a call's failure tells about the storage. */
    private void failed(RuntimeException e) {
        if (e instanceof BackendMisconfiguredException) {
            // The storage answered, with a refusal that waiting does not cure; the deadline does not matter.
            availability.misconfigured(e.getMessage());
        } else if (e instanceof BackendUnavailableException) {
            if (deadline != null && deadline.isExpired()) {
                availability.trialAbandoned();
            } else {
                availability.unavailable(e.getMessage());
            }
        } else if (e instanceof CallNotRunException) {
            // Refused before reaching the storage: overloaded, or queued past its deadline.
            availability.trialAbandoned();
        } else {
            // Any other failure is a bug, ours or the backend's, from a storage that answered: not an outage.
            availability.answered();
        }
    }
}
