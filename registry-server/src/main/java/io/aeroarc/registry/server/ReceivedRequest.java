package io.aeroarc.registry.server;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * A request message's bytes as they arrived, or why they could not be read. gRPC decompresses
 * while the marshaller reads, so a decompression bomb or a broken gzip stream fails here; grpc's
 * own handling of a marshaller that throws answers UNKNOWN, so the failure is kept as a value and
 * answered by {@link RequestParsing} inside the call.
 *
 * @param failure present when the bytes could not be read; {@code bytes} is then empty
 */
record ReceivedRequest(byte[] bytes, Optional<Status> failure) {

    static final MethodDescriptor.Marshaller<ReceivedRequest> MARSHALLER = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(ReceivedRequest value) {
            throw new UnsupportedOperationException("the server never sends requests");
        }

        @Override
        public ReceivedRequest parse(InputStream stream) {
            try (stream) {
                return new ReceivedRequest(readMessage(stream), Optional.empty());
            } catch (StatusRuntimeException e) {
                // gRPC's size check on decompressed bytes: RESOURCE_EXHAUSTED.
                return failed(e.getStatus());
            } catch (IOException | RuntimeException e) {
                return failed(Status.INVALID_ARGUMENT.withDescription("request: cannot be decompressed").withCause(e));
            }
        }
    };

    /**
     * An uncompressed message arrives as a {@link KnownLength} stream that knows its size, and is
     * read into an array of exactly that size. {@code readAllBytes} would allocate an 8 KiB chunk
     * for every request of a few dozen bytes: a quarter of all the registry allocated in the etcd
     * fleet, paid for in young collections. A compressed message's size is only known once inflated.
     */
    static byte[] readMessage(InputStream stream) throws IOException {
        if (!(stream instanceof KnownLength)) {
            return stream.readAllBytes();
        }
        byte[] known = stream.readNBytes(stream.available());
        int next = stream.read();
        if (next == -1) {
            return known;
        }
        // The stream held more than it announced: keep every byte rather than trust the announcement.
        ByteArrayOutputStream all = new ByteArrayOutputStream(known.length + 1);
        all.write(known);
        all.write(next);
        stream.transferTo(all);
        return all.toByteArray();
    }

    private static ReceivedRequest failed(Status status) {
        return new ReceivedRequest(new byte[0], Optional.of(status));
    }
}
