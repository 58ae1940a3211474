package io.aeroarc.registry.tck;

import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.AgentRegistrationRequest;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Backends that each break one rule of the contract, to prove the TCK notices. */
final class BrokenBackends {

    private BrokenBackends() {}

    /** Ignores the TTL it is given: nothing ever expires. */
    static final class NeverExpiring extends ForwardingBackend {

        private static final Duration FOREVER = Duration.ofDays(1);

        NeverExpiring(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public long registerRelay(RelayRegistration relay, Duration ttl) {
            return delegate.registerRelay(relay, FOREVER);
        }

        @Override
        public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
            return delegate.heartbeatRelay(relayId, FOREVER);
        }

        @Override
        public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
            return delegate.registerAgent(agentId, relayId, FOREVER);
        }

        @Override
        public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
            return delegate.heartbeatAgent(agentId, fence, FOREVER);
        }

        @Override
        public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
            return delegate.heartbeatAgents(relayId, agentIds, FOREVER);
        }
    }

    /** Reports epoch 1 for every placement, as a backend that forgot to count moves would. */
    static final class ConstantEpoch extends ForwardingBackend {

        ConstantEpoch(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
            return delegate.registerAgent(agentId, relayId, ttl).map(ConstantEpoch::firstEpoch);
        }

        @Override
        public Optional<RelayPlacement> getPlacement(String agentId) {
            return delegate.getPlacement(agentId).map(found -> new RelayPlacement(firstEpoch(found.placement()), found.relay()));
        }

        private static PlacementRecord firstEpoch(PlacementRecord placement) {
            return new PlacementRecord(placement.agentId(), placement.relayId(), 1, placement.lastHeartbeatMs(), placement.expiresAtMs());
        }
    }

    /** Renews whatever placement the agent has, whoever asks. */
    static final class FenceIgnoring extends ForwardingBackend {

        FenceIgnoring(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
            return delegate.heartbeatAgent(agentId, Fence.NONE, ttl);
        }
    }

    /** Starts each page at the cursor instead of after it, repeating one entry per page. */
    static final class InclusivePaging extends ForwardingBackend {

        InclusivePaging(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
            return delegate.listRelays(labelSelector, new PageRequest(justBefore(page.afterId()), page.limit()));
        }

        @Override
        public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
            return delegate.listAgents(relayId, new PageRequest(justBefore(page.afterId()), page.limit()));
        }

        /** The greatest id of the test's ASCII alphabet below {@code id}, so a page includes {@code id} itself. */
        private static String justBefore(String id) {
            if (id.isEmpty()) {
                return id;
            }
            char last = id.charAt(id.length() - 1);
            return id.substring(0, id.length() - 1) + (char) (last - 1) + "~";
        }
    }

    /** Batches heartbeats as if every item came without a fence, as a batch that forgot them would. */
    static final class BatchFenceIgnoring extends ForwardingBackend {

        BatchFenceIgnoring(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public List<AgentHeartbeat> heartbeatAgentBatch(List<AgentHeartbeatRequest> requests, Duration ttl) {
            return delegate.heartbeatAgentBatch(
                    requests.stream().map(request -> new AgentHeartbeatRequest(request.agentId(), Fence.NONE)).toList(), ttl);
        }
    }

    /**
     * Answers a placement for every registration item, also on a relay that is not live, as a
     * batch that skipped reading the relays would.
     */
    static final class BatchRegistrationLivenessIgnoring extends ForwardingBackend {

        BatchRegistrationLivenessIgnoring(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
            List<Optional<PlacementRecord>> answers = new ArrayList<>(delegate.registerAgentBatch(requests, ttl));
            for (int i = 0; i < answers.size(); i++) {
                if (answers.get(i).isEmpty()) {
                    AgentRegistrationRequest request = requests.get(i);
                    answers.set(i, Optional.of(new PlacementRecord(request.agentId(), request.relayId(), 1, 0, ttl.toMillis())));
                }
            }
            return answers;
        }
    }

    /** Runs a registration batch's items last to first, as a batch that loses the list order would. */
    static final class BatchRegistrationReversed extends ForwardingBackend {

        BatchRegistrationReversed(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public List<Optional<PlacementRecord>> registerAgentBatch(List<AgentRegistrationRequest> requests, Duration ttl) {
            List<Optional<PlacementRecord>> answers = new ArrayList<>(requests.size());
            for (int i = 0; i < requests.size(); i++) {
                answers.add(Optional.empty());
            }
            for (int i = requests.size() - 1; i >= 0; i--) {
                answers.set(i, delegate.registerAgent(requests.get(i).agentId(), requests.get(i).relayId(), ttl));
            }
            return answers;
        }
    }

    /**
     * Answers a lookup batch with the found placements first and the misses after them, as a batch
     * built on an unordered multi-get would: each answer lands on another caller.
     */
    static final class BatchLookupOutOfOrder extends ForwardingBackend {

        BatchLookupOutOfOrder(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
            List<Optional<RelayPlacement>> answers = new ArrayList<>(delegate.getPlacementBatch(agentIds));
            answers.sort(Comparator.comparing(Optional::isEmpty));
            return answers;
        }
    }
}
