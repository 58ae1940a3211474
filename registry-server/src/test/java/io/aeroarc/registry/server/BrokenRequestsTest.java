package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.RegistryProto;
import io.aeroarc.registry.core.BackendLoader;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Broken requests get the statuses the README promises, never UNKNOWN or INTERNAL: requests are
 * sent as raw bytes, as a hostile or buggy client would.
 */
class BrokenRequestsTest {

    private static final byte[] INVALID_UTF8 = {'a', (byte) 0xC3, (byte) 0x28, 'b'};

    private final RegistryServer server = RegistryServer.create(((CommandLine.Run) CommandLine.parse(
            List.of("--grpc-listen-address", "127.0.0.1", "--grpc-listen-port", "0", "--first-message-timeout", "2s"), Map.of(),
            Map.of("memory", "relay-registry.jar"))).config(), BackendLoader.discover(getClass().getClassLoader())).start();
    private final ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.stop();
    }

    @Test
    void invalid_utf8_in_every_string_field_of_every_request_is_invalid_argument_naming_the_field() {
        Map<String, String> failures = new LinkedHashMap<>();
        int fields = 0;
        for (MethodDescriptor method : RegistryProto.getDescriptor().findServiceByName("AeroRegistry").getMethods()) {
            for (Map.Entry<String, byte[]> broken : invalidUtf8Requests(method.getInputType(), "")) {
                fields++;
                Status status = call(method.getName(), broken.getValue(), CallOptions.DEFAULT);
                String expected = broken.getKey() + ": not valid UTF-8";
                if (status.getCode() != Status.Code.INVALID_ARGUMENT || !expected.equals(status.getDescription())) {
                    failures.put(method.getName() + " " + broken.getKey() + " #" + fields, status.getCode() + " " + status.getDescription());
                }
            }
        }
        assertThat(fields).as("string fields tried").isGreaterThan(15);
        assertThat(failures).isEmpty();
    }

    @Test
    void a_truncated_or_garbled_message_is_invalid_argument() {
        byte[] whole = RegisterRelayRequest.newBuilder().setRelay(io.aeroarc.registry.api.v1.Relay.newBuilder()
                .setRelayId("relay-1").setAddress("10.0.0.1").setGrpcPort(7000)).build().toByteArray();
        byte[] truncated = java.util.Arrays.copyOf(whole, whole.length - 3);
        assertStatus(call("RegisterRelay", truncated, CallOptions.DEFAULT), Status.Code.INVALID_ARGUMENT,
                "request: not a valid RegisterRelayRequest message");
        assertStatus(call("RegisterRelay", new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, CallOptions.DEFAULT),
                Status.Code.INVALID_ARGUMENT, "request: not a valid RegisterRelayRequest message");
    }

    @Test
    void a_gzip_bomb_is_resource_exhausted() {
        byte[] zeros = new byte[8 * 1024 * 1024]; // 8 KB compressed, 8 times the 1 MiB limit unpacked
        Status status = call("HeartbeatRelay", zeros, CallOptions.DEFAULT.withCompression("gzip"));
        assertThat(status.getCode()).as("%s", status).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void a_unary_call_with_no_request_or_two_requests_is_invalid_argument() {
        assertStatus(rawCall("HeartbeatRelay", List.of(), true), Status.Code.INVALID_ARGUMENT,
                "request: missing; a unary call takes one request message");
        byte[] request = new byte[0];
        assertStatus(rawCall("ListRelays", List.of(request, request), true), Status.Code.INVALID_ARGUMENT,
                "request: a unary call takes one request message, got more");
    }

    @Test
    void a_call_that_sends_no_request_is_cancelled_after_the_first_message_timeout() {
        long start = System.nanoTime();
        Status status = rawCall("ListRelays", List.of(), false);
        assertThat(status.getCode()).as("%s", status).isEqualTo(Status.Code.CANCELLED);
        assertThat(status.getDescription()).isEqualTo("no request message within 2000 ms");
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms until cancelled").isBetween(1_900L, 10_000L);
    }

    private static void assertStatus(Status status, Status.Code code, String description) {
        assertThat(status.getCode()).as("%s", status).isEqualTo(code);
        assertThat(status.getDescription()).isEqualTo(description);
    }

    /**
     * Each string field reachable in {@code type} (nested messages, map keys and values, repeated),
     * alone and invalid, with the name the error must give: a map's key or value is named by the map.
     */
    private static List<Map.Entry<String, byte[]>> invalidUtf8Requests(Descriptor type, String prefix) {
        List<Map.Entry<String, byte[]>> requests = new ArrayList<>();
        for (FieldDescriptor field : type.getFields()) {
            String name = prefix + field.getName();
            if (field.getType() == FieldDescriptor.Type.STRING && field.isRepeated()) {
                requests.add(Map.entry(name + "[1]",
                        concat(lengthDelimited(field.getNumber(), "ok".getBytes()), lengthDelimited(field.getNumber(), INVALID_UTF8))));
            } else if (field.getType() == FieldDescriptor.Type.STRING) {
                requests.add(Map.entry(name, lengthDelimited(field.getNumber(), INVALID_UTF8)));
            } else if (field.getType() == FieldDescriptor.Type.MESSAGE && prefix.isEmpty()) {
                for (Map.Entry<String, byte[]> nested : invalidUtf8Requests(field.getMessageType(), name + ".")) {
                    requests.add(Map.entry(field.isMapField() ? name : nested.getKey(), lengthDelimited(field.getNumber(), nested.getValue())));
                }
            }
        }
        return requests;
    }

    private static byte[] lengthDelimited(int number, byte[] value) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CodedOutputStream coded = CodedOutputStream.newInstance(out);
            coded.writeByteArray(number, value);
            coded.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    private Status call(String method, byte[] request, CallOptions options) {
        return rawCall(method, List.of(request), true, options);
    }

    private Status rawCall(String method, List<byte[]> requests, boolean halfClose) {
        return rawCall(method, requests, halfClose, CallOptions.DEFAULT);
    }

    private Status rawCall(String method, List<byte[]> requests, boolean halfClose, CallOptions options) {
        ClientCall<byte[], byte[]> call = channel.newCall(BYTES.toBuilder()
                .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(AeroRegistryGrpc.SERVICE_NAME, method)).build(),
                options.withDeadlineAfter(10, TimeUnit.SECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, new Metadata());
        call.request(2);
        requests.forEach(call::sendMessage);
        if (halfClose) {
            call.halfClose();
        }
        return closed.join();
    }

    private static final io.grpc.MethodDescriptor<byte[], byte[]> BYTES = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName("x/y")
            .setRequestMarshaller(RawBytes.INSTANCE)
            .setResponseMarshaller(RawBytes.INSTANCE)
            .build();
}
