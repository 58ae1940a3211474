package io.aeroarc.registry.core;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The single-agent calls that are gathered into batch round trips, answered through a future
 * so a call waiting for its batch holds no thread. A call that runs at once (a free round-trip
 * slot, or a backend that does not gather) returns a completed future, on the caller's thread.
 * Failures are the same exceptions the blocking methods throw, carried by the future.
 */
public interface GatheredCalls {

    CompletableFuture<AgentHeartbeat> heartbeatAgentAsync(String agentId, Fence fence, Duration ttl);

    CompletableFuture<Optional<RelayPlacement>> getPlacementAsync(String agentId);

    /**
     * The agent's visible placement alone, without its relay record or the relay's agent count:
     * {@link RegistryBackend#getPlacements} for one id, a much cheaper read than
     * {@link #getPlacementAsync} on backends that count a relay's placements per lookup.
     */
    CompletableFuture<Optional<PlacementRecord>> currentPlacementAsync(String agentId);

    /** {@link RegistryBackend#registerAgent}, gathered only when the backend {@link RegistryBackend#batchesRegistrations batches registrations}. */
    CompletableFuture<Optional<PlacementRecord>> registerAgentAsync(String agentId, String relayId, Duration ttl);

    /** The placement of {@code agentId} among what {@link RegistryBackend#getPlacements} answered (only visible ones, in any order). */
    static Optional<PlacementRecord> placementOf(String agentId, List<PlacementRecord> found) {
        return found.stream().filter(placement -> placement.agentId().equals(agentId)).findFirst();
    }

    /** Waits on this thread for a gathered call's answer; its failure leaves as the exception it is, not wrapped. */
    static <T> T await(CompletableFuture<T> answer) {
        try {
            return answer.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** {@code backend}'s own gathered calls when it has them; else its blocking calls, answered at once. */
    static GatheredCalls of(RegistryBackend backend) {
        return backend instanceof GatheredCalls gathered ? gathered : new AtOnce(backend);
    }

    /** A backend's blocking calls as completed futures. */
    final class AtOnce implements GatheredCalls {

        private final RegistryBackend backend;

        AtOnce(RegistryBackend backend) {
            this.backend = backend;
        }

        @Override
        public CompletableFuture<AgentHeartbeat> heartbeatAgentAsync(String agentId, Fence fence, Duration ttl) {
            try {
                return CompletableFuture.completedFuture(backend.heartbeatAgent(agentId, fence, ttl));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public CompletableFuture<Optional<RelayPlacement>> getPlacementAsync(String agentId) {
            try {
                return CompletableFuture.completedFuture(backend.getPlacement(agentId));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public CompletableFuture<Optional<PlacementRecord>> currentPlacementAsync(String agentId) {
            try {
                return CompletableFuture.completedFuture(placementOf(agentId, backend.getPlacements(List.of(agentId))));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public CompletableFuture<Optional<PlacementRecord>> registerAgentAsync(String agentId, String relayId, Duration ttl) {
            try {
                return CompletableFuture.completedFuture(backend.registerAgent(agentId, relayId, ttl));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
    }
}
