package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.KnownLength;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReceivedRequestTest {

    private static final byte[] MESSAGE = "a request of a few dozen bytes, as most are".getBytes(StandardCharsets.US_ASCII);

    @Test
    void a_message_of_known_length_is_read_whole() throws IOException {
        assertThat(ReceivedRequest.readMessage(new KnownLengthStream(MESSAGE, MESSAGE.length))).isEqualTo(MESSAGE);
    }

    @Test
    void an_empty_message_of_known_length_is_read_as_no_bytes() throws IOException {
        assertThat(ReceivedRequest.readMessage(new KnownLengthStream(new byte[0], 0))).isEmpty();
    }

    @Test
    void a_stream_holding_more_than_it_announced_loses_no_byte() throws IOException {
        assertThat(ReceivedRequest.readMessage(new KnownLengthStream(MESSAGE, 10))).isEqualTo(MESSAGE);
    }

    @Test
    void a_message_of_unknown_length_is_read_whole() throws IOException {
        InputStream inflating = new ByteArrayInputStream(MESSAGE);
        assertThat(ReceivedRequest.readMessage(inflating)).isEqualTo(MESSAGE);
    }

    /** Like gRPC's stream of an uncompressed message, except that it may understate its length. */
    private static final class KnownLengthStream extends ByteArrayInputStream implements KnownLength {
        private int announced;

        KnownLengthStream(byte[] bytes, int announced) {
            super(bytes);
            this.announced = announced;
        }

        @Override
        public synchronized int available() {
            return Math.min(announced, super.available());
        }

        @Override
        public synchronized int read(byte[] into, int offset, int length) {
            int read = super.read(into, offset, length);
            announced = Math.max(0, announced - Math.max(read, 0));
            return read;
        }
    }
}
