package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentResponse;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.CoalescingBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.tck.ForwardingBackend;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * RegisterAgent names the relay it moved the agent away from, read through the placement-only
 * read (never the full lookup with the relay record and its agent count), and the audit line of
 * the move takes the old owner from that answer: the server's default security (audit on).
 */
class RegisterAgentPreviousOwnerTest {

    private static final Duration TTL = Duration.ofMinutes(1);

    private final MemoryBackend memory = new MemoryBackend(Clock.systemUTC(), Duration.ZERO);
    private final CountingReads counting = new CountingReads(memory);
    private final RunningRegistry running = new RunningRegistry(new CoalescingBackend(counting, CoalescingBackend.Options.DEFAULT),
            new RegistrySettings(TTL, TTL, 100), Duration.ofSeconds(5));
    private final ListAppender<ILoggingEvent> auditLines = new ListAppender<>();
    private final Logger audit = (Logger) LoggerFactory.getLogger("io.aeroarc.registry.audit");

    @BeforeEach
    void capture() {
        auditLines.start();
        audit.addAppender(auditLines);
    }

    @AfterEach
    void close() throws InterruptedException {
        audit.detachAppender(auditLines);
        running.close();
        memory.close();
    }

    @Test
    void a_move_answers_and_audits_the_previous_owner_without_the_full_lookup() {
        AeroRegistryGrpc.AeroRegistryBlockingStub registry = running.registry();
        registry.registerRelay(RegisterRelayRequest.newBuilder().setRelay(relay("relay-a", "10.0.0.1")).build());
        registry.registerRelay(RegisterRelayRequest.newBuilder().setRelay(relay("relay-b", "10.0.0.2")).build());

        RegisterAgentResponse created = registry.registerAgent(register("agent-1", "relay-a"));
        assertThat(created.getPreviousRelayId()).as("not placed before").isEmpty();
        assertThat(created.getPreviousEpoch()).isZero();
        RegisterAgentResponse renewed = registry.registerAgent(register("agent-1", "relay-a"));
        assertThat(renewed.getEpoch()).isEqualTo(created.getEpoch());
        assertThat(renewed.getPreviousRelayId()).as("stays on the same relay").isEmpty();
        assertThat(renewed.getPreviousEpoch()).isZero();

        RegisterAgentResponse moved = registry.registerAgent(register("agent-1", "relay-b"));

        assertThat(moved.getEpoch()).isGreaterThan(created.getEpoch());
        assertThat(moved.getPreviousRelayId()).isEqualTo("relay-a");
        assertThat(moved.getPreviousEpoch()).isEqualTo(created.getEpoch());
        assertThat(counting.fullLookups.get()).as("no getPlacement/getPlacementBatch: the relay and its count are not read").isZero();
        assertThat(counting.placementReads).as("one placement-only read before each registration")
                .containsExactly(List.of("agent-1"), List.of("agent-1"), List.of("agent-1"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(movedLines()).containsExactly(
                "event=agent-moved who=\"127.0.0.1\" auth=\"none\" method=\"RegisterAgent\" agent=\"agent-1\" old_relay=\"relay-a\" old_epoch=\""
                        + created.getEpoch() + "\" new_relay=\"relay-b\" new_epoch=\"" + moved.getEpoch() + "\" outcome=\"OK\""));
    }

    private List<String> movedLines() {
        return auditLines.list.stream().map(ILoggingEvent::getFormattedMessage).filter(line -> line.startsWith("event=agent-moved")).toList();
    }

    private static Relay relay(String relayId, String address) {
        return Relay.newBuilder().setRelayId(relayId).setAddress(address).setGrpcPort(7443).build();
    }

    private static RegisterAgentRequest register(String agentId, String relayId) {
        return RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId(agentId)).setRelayId(relayId).build();
    }

    /** Counts the full lookups and records the placement-only reads that reach the storage. */
    private static final class CountingReads extends ForwardingBackend {
        final AtomicInteger fullLookups = new AtomicInteger();
        final List<List<String>> placementReads = new CopyOnWriteArrayList<>();

        CountingReads(RegistryBackend delegate) {
            super(delegate);
        }

        @Override
        public Optional<RelayPlacement> getPlacement(String agentId) {
            fullLookups.incrementAndGet();
            return super.getPlacement(agentId);
        }

        @Override
        public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
            fullLookups.incrementAndGet();
            return super.getPlacementBatch(agentIds);
        }

        @Override
        public List<PlacementRecord> getPlacements(List<String> agentIds) {
            placementReads.add(List.copyOf(agentIds));
            return super.getPlacements(agentIds);
        }
    }
}
