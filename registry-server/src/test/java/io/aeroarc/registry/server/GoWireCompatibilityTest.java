package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aeroarc.registry.backend.memory.MemoryBackend;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.tck.ManualClock;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Speaks to the server the way the deployed Go relays and API servers do: requests encoded by hand
 * from the contract's field numbers (not from our generated classes), responses decoded the same
 * way. A renumbered or retyped field breaks this test.
 */
class GoWireCompatibilityTest {

    private static final long NOW = 1_750_000_000_000L;
    private static final String SERVICE = "aeroarc.registry.v1.AeroRegistry/";

    private final ManualClock clock = ManualClock.startingAt(NOW);
    private final RunningRegistry running = new RunningRegistry(new MemoryBackend(clock, Duration.ZERO),
            new RegistrySettings(Duration.ofSeconds(30), Duration.ofSeconds(30), 10_000), Duration.ofSeconds(5));

    @AfterEach
    void stop() throws InterruptedException {
        running.close();
    }

    @Test
    void the_original_seven_rpcs_work_field_by_field() {
        // RegisterRelayRequest{relay=1: Relay{relay_id=1, address=2, grpc_port=3, last_heartbeat_unix_ms=4}}
        byte[] relay = new Wire().string(1, "relay-go").string(2, "10.9.8.7").varint(3, 7443).varint(4, 1234).bytes();
        Decoded registered = call("RegisterRelay", new Wire().message(1, relay).bytes());
        assertThat(registered.varint(1)).as("extension expires_at_unix_ms").isEqualTo(NOW + 30_000);

        // HeartbeatRelayRequest{relay_id=1, timestamp_unix_ms=2}
        call("HeartbeatRelay", new Wire().string(1, "relay-go").varint(2, 99).bytes());

        // ListRelaysRequest{} -> ListRelaysResponse{relays=1: Relay}
        Decoded listedRelay = call("ListRelays", new byte[0]).messages(1).get(0);
        assertThat(listedRelay.string(1)).isEqualTo("relay-go");
        assertThat(listedRelay.string(2)).isEqualTo("10.9.8.7");
        assertThat(listedRelay.varint(3)).isEqualTo(7443);
        assertThat(listedRelay.varint(4)).as("last heartbeat is the registry's time, not the client's").isEqualTo(NOW);

        // RegisterAgentRequest{agent=1: Agent{agent_id=1, last_heartbeat_unix_ms=2}, relay_id=2}
        byte[] agent = new Wire().string(1, "drone-7").varint(2, 555).bytes();
        Decoded placed = call("RegisterAgent", new Wire().message(1, agent).string(2, "relay-go").bytes());
        assertThat(placed.varint(2)).as("extension epoch").isPositive();

        // HeartbeatAgentRequest{agent_id=1, timestamp_unix_ms=2}
        call("HeartbeatAgent", new Wire().string(1, "drone-7").varint(2, 777).bytes());

        // ListAgentsRequest{} -> ListAgentsResponse{agents=1: Agent{agent_id=1, last_heartbeat_unix_ms=2}}
        Decoded listedAgent = call("ListAgents", new byte[0]).messages(1).get(0);
        assertThat(listedAgent.string(1)).isEqualTo("drone-7");
        assertThat(listedAgent.varint(2)).isEqualTo(NOW);

        // GetAgentPlacementRequest{agent_id=1} -> {placement=1: AgentPlacement{agent_id=1, relay_id=2, last_updated_unix_ms=3}}
        Decoded placement = call("GetAgentPlacement", new Wire().string(1, "drone-7").bytes()).messages(1).get(0);
        assertThat(placement.string(1)).isEqualTo("drone-7");
        assertThat(placement.string(2)).isEqualTo("relay-go");
        assertThat(placement.varint(3)).isEqualTo(NOW);
        assertThat(placement.varint(5)).as("extension epoch").isEqualTo(placed.varint(2));
    }

    @Test
    void extension_fields_travel_on_their_own_numbers() {
        byte[] relay = new Wire().string(1, "relay-go").string(2, "10.9.8.7").varint(3, 7443)
                .message(5, new Wire().string(1, "region").string(2, "eu").bytes()).bytes();
        call("RegisterRelay", new Wire().message(1, relay).bytes());
        long epoch = call("RegisterAgent", new Wire().message(1, new Wire().string(1, "drone-7").bytes()).string(2, "relay-go").bytes())
                .varint(2);

        // ListRelaysRequest{label_selector=3: {region: eu}} -> Relay{labels=5, expires_at=6, agent_count=7, registered_at=8}
        Decoded relayListed = call("ListRelays", new Wire().message(3, new Wire().string(1, "region").string(2, "eu").bytes()).bytes())
                .messages(1).get(0);
        Decoded label = relayListed.messages(5).get(0);
        assertThat(label.string(1)).isEqualTo("region");
        assertThat(label.string(2)).isEqualTo("eu");
        assertThat(relayListed.varint(6)).isEqualTo(NOW + 30_000);
        assertThat(relayListed.varint(7)).isEqualTo(1);
        assertThat(relayListed.varint(8)).isEqualTo(NOW);

        // HeartbeatAgentRequest{agent_id=1, relay_id=3, epoch=4} with a stale epoch
        assertThatThrownBy(() -> call("HeartbeatAgent", new Wire().string(1, "drone-7").string(3, "relay-go").varint(4, epoch + 1).bytes()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));

        // GetAgentPlacementResponse{relay=2}; Agent{relay_id=3, expires_at=4} in ListAgents{relay_id=1}
        assertThat(call("GetAgentPlacement", new Wire().string(1, "drone-7").bytes()).messages(2).get(0).string(1)).isEqualTo("relay-go");
        Decoded agentListed = call("ListAgents", new Wire().string(1, "relay-go").bytes()).messages(1).get(0);
        assertThat(agentListed.string(3)).isEqualTo("relay-go");
        assertThat(agentListed.varint(4)).isEqualTo(NOW + 30_000);

        // HeartbeatAgentsRequest{relay_id=1, agent_ids=2} -> {expires_at=1, lost_agent_ids=2}
        Decoded batch = call("HeartbeatAgents", new Wire().string(1, "relay-go").string(2, "drone-7").string(2, "drone-9").bytes());
        assertThat(batch.varint(1)).isEqualTo(NOW + 30_000);
        assertThat(batch.strings(2)).containsExactly("drone-9");

        // RegisterAgentResponse{previous_relay_id=3, previous_epoch=4} when the registration moves the agent
        call("RegisterRelay", new Wire().message(1, new Wire().string(1, "relay-go-2").string(2, "10.9.8.6").varint(3, 7443).bytes()).bytes());
        Decoded moved = call("RegisterAgent", new Wire().message(1, new Wire().string(1, "drone-7").bytes()).string(2, "relay-go-2").bytes());
        assertThat(moved.varint(2)).isGreaterThan(epoch);
        assertThat(moved.string(3)).isEqualTo("relay-go");
        assertThat(moved.varint(4)).isEqualTo(epoch);
    }

    private Decoded call(String method, byte[] request) {
        MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(SERVICE + method)
                .setRequestMarshaller(RawBytes.INSTANCE)
                .setResponseMarshaller(RawBytes.INSTANCE)
                .build();
        byte[] response = ClientCalls.blockingUnaryCall(running.channel, descriptor,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
        return Decoded.parse(response);
    }

    /** A protobuf encoder for varint and length-delimited fields, written from the encoding spec. */
    private static final class Wire {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Wire varint(int field, long value) {
            writeVarint(((long) field << 3) | 0);
            writeVarint(value);
            return this;
        }

        Wire string(int field, String value) {
            return message(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Wire message(int field, byte[] encoded) {
            writeVarint(((long) field << 3) | 2);
            writeVarint(encoded.length);
            out.writeBytes(encoded);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void writeVarint(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }

    /** Fields of a decoded message by number: varints as longs, length-delimited as bytes. */
    private record Decoded(Map<Integer, List<Object>> fields) {

        static Decoded parse(byte[] bytes) {
            Map<Integer, List<Object>> fields = new TreeMap<>();
            int[] position = {0};
            while (position[0] < bytes.length) {
                long tag = readVarint(bytes, position);
                int field = (int) (tag >>> 3);
                int type = (int) (tag & 7);
                Object value;
                if (type == 0) {
                    value = readVarint(bytes, position);
                } else if (type == 2) {
                    int length = (int) readVarint(bytes, position);
                    byte[] payload = new byte[length];
                    System.arraycopy(bytes, position[0], payload, 0, length);
                    position[0] += length;
                    value = payload;
                } else {
                    throw new AssertionError("unexpected wire type " + type + " of field " + field);
                }
                fields.computeIfAbsent(field, f -> new ArrayList<>()).add(value);
            }
            return new Decoded(fields);
        }

        long varint(int field) {
            List<Object> values = fields.get(field);
            assertThat(values).as("varint field %d", field).isNotNull().hasSize(1);
            return (Long) values.get(0);
        }

        String string(int field) {
            List<String> values = strings(field);
            assertThat(values).as("string field %d", field).hasSize(1);
            return values.get(0);
        }

        List<String> strings(int field) {
            return fields.getOrDefault(field, List.of()).stream().map(v -> new String((byte[]) v, StandardCharsets.UTF_8)).toList();
        }

        List<Decoded> messages(int field) {
            List<Object> values = fields.get(field);
            assertThat(values).as("message field %d", field).isNotNull();
            return values.stream().map(v -> parse((byte[]) v)).toList();
        }

        private static long readVarint(byte[] bytes, int[] position) {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte b = bytes[position[0]++];
                result |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return result;
                }
            }
            throw new AssertionError("varint too long");
        }
    }
}
