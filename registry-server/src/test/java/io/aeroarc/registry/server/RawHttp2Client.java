package io.aeroarc.registry.server;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/2 client written frame by frame, for what no gRPC client lets one do: open streams and
 * never send on them, advertise a zero window and never read, reset streams as fast as it can.
 * Headers are HPACK literals without indexing or Huffman coding, which every decoder accepts. A
 * reader thread answers pings and settings (as a real but hostile peer would) and counts what
 * arrives; it never sends WINDOW_UPDATE.
 */
final class RawHttp2Client implements AutoCloseable {

    static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int DATA = 0x0;
    private static final int HEADERS = 0x1;
    private static final int RST_STREAM = 0x3;
    private static final int SETTINGS = 0x4;
    private static final int PING = 0x6;
    private static final int GOAWAY = 0x7;
    private static final int END_STREAM = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int ACK = 0x1;

    private final Socket socket;
    private final OutputStream out;
    private final AtomicBoolean goAwayReceived = new AtomicBoolean();
    private final AtomicLong resetsReceived = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicBoolean closedByServer = new AtomicBoolean();
    private int nextStreamId = 1;

    private RawHttp2Client(Socket socket) throws IOException {
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    /** Connects, sends the preface and {@code settings}, and starts the reader. */
    static RawHttp2Client connect(int port, Map<Integer, Integer> settings) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        RawHttp2Client client = new RawHttp2Client(socket);
        client.out.write(PREFACE);
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        settings.forEach((id, value) -> {
            payload.write(id >>> 8);
            payload.write(id);
            for (int shift = 24; shift >= 0; shift -= 8) {
                payload.write(value >>> shift);
            }
        });
        client.frame(SETTINGS, 0, 0, payload.toByteArray());
        client.out.flush();
        Thread reader = new Thread(client::read, "raw-http2-reader");
        reader.setDaemon(true);
        reader.start();
        return client;
    }

    /** Opens a gRPC call to {@code method} ("Service/Method") and returns its stream id; nothing is sent on it. */
    synchronized int openCall(String method) throws IOException {
        int id = nextStreamId;
        nextStreamId += 2;
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        literal(block, ":method", "POST");
        literal(block, ":scheme", "http");
        literal(block, ":path", "/" + method);
        literal(block, ":authority", "localhost");
        literal(block, "content-type", "application/grpc");
        literal(block, "te", "trailers");
        frame(HEADERS, END_HEADERS, id, block.toByteArray());
        return id;
    }

    /** Sends one gRPC message (uncompressed) on {@code stream} and ends the client's side. */
    synchronized void sendMessage(int stream, byte[] message) throws IOException {
        byte[] framed = new byte[5 + message.length];
        framed[1] = (byte) (message.length >>> 24);
        framed[2] = (byte) (message.length >>> 16);
        framed[3] = (byte) (message.length >>> 8);
        framed[4] = (byte) message.length;
        System.arraycopy(message, 0, framed, 5, message.length);
        frame(DATA, END_STREAM, stream, framed);
    }

    synchronized void reset(int stream) throws IOException {
        frame(RST_STREAM, 0, stream, new byte[] {0, 0, 0, 0x8}); // CANCEL
    }

    synchronized void flush() throws IOException {
        out.flush();
    }

    boolean goAwayReceived() {
        return goAwayReceived.get();
    }

    boolean closedByServer() {
        return closedByServer.get();
    }

    long resetsReceived() {
        return resetsReceived.get();
    }

    long bytesReceived() {
        return bytesReceived.get();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.write(payload);
    }

    private static void literal(ByteArrayOutputStream block, String name, String value) {
        block.write(0x00);
        string(block, name.getBytes(StandardCharsets.US_ASCII));
        string(block, value.getBytes(StandardCharsets.US_ASCII));
    }

    /** An HPACK string literal without Huffman coding: a 7-bit prefixed length, then the bytes. */
    private static void string(ByteArrayOutputStream block, byte[] bytes) {
        int length = bytes.length;
        if (length < 127) {
            block.write(length);
        } else {
            block.write(127);
            length -= 127;
            while (length >= 128) {
                block.write((length & 0x7F) | 0x80);
                length >>>= 7;
            }
            block.write(length);
        }
        block.write(bytes, 0, bytes.length);
    }

    private void read() {
        try {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] header = new byte[9];
            while (true) {
                in.readFully(header);
                int length = ((header[0] & 0xFF) << 16) | ((header[1] & 0xFF) << 8) | (header[2] & 0xFF);
                int type = header[3] & 0xFF;
                int flags = header[4] & 0xFF;
                byte[] payload = new byte[length];
                in.readFully(payload);
                bytesReceived.addAndGet(9 + length);
                if (type == SETTINGS && (flags & ACK) == 0) {
                    synchronized (this) {
                        frame(SETTINGS, ACK, 0, new byte[0]);
                        out.flush();
                    }
                } else if (type == PING && (flags & ACK) == 0) {
                    synchronized (this) {
                        frame(PING, ACK, 0, payload);
                        out.flush();
                    }
                } else if (type == GOAWAY) {
                    goAwayReceived.set(true);
                } else if (type == RST_STREAM) {
                    resetsReceived.incrementAndGet();
                }
            }
        } catch (IOException e) {
            closedByServer.set(true);
        }
    }
}
