package io.aeroarc.registry.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on a loopback port in front of a server, that can stop forwarding without closing
 * anything: a network black hole without root or network namespaces. While black-holed, bytes
 * already sent stay unanswered, new connections are accepted but go nowhere, and no connection
 * sees a reset or an end; after {@link #restore()} held bytes flow again, as TCP retransmits them.
 * A connection the server closes is closed towards the client too.
 */
public final class BlackHoleProxy implements AutoCloseable {

    private final InetSocketAddress upstream;
    private final ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private volatile boolean blackHoled;
    private volatile boolean closed;

    private BlackHoleProxy(InetSocketAddress upstream, ServerSocket listener) {
        this.upstream = upstream;
        this.listener = listener;
    }

    /** A proxy on a free loopback port forwarding to 127.0.0.1:{@code upstreamPort}. */
    public static BlackHoleProxy to(int upstreamPort) {
        try {
            ServerSocket listener = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
            BlackHoleProxy proxy = new BlackHoleProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), listener);
            daemon("black-hole-proxy-accept-" + listener.getLocalPort(), proxy::acceptLoop).start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for the proxy", e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Stops forwarding; every connection stays open. */
    public void blackHole() {
        blackHoled = true;
    }

    /** Forwards again, held bytes first. */
    public void restore() {
        synchronized (gate) {
            blackHoled = false;
            gate.notifyAll();
        }
    }

    @Override
    public void close() {
        closed = true;
        restore();
        closeQuietly(listener);
        sockets.forEach(BlackHoleProxy::closeQuietly);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(client);
            daemon("black-hole-proxy-connect", () -> connect(client)).start();
        }
    }

    private void connect(Socket client) {
        Socket server = new Socket();
        try {
            awaitForwarding();
            server.connect(upstream, 5000);
            sockets.add(server);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(server);
            return;
        }
        daemon("black-hole-proxy-up", () -> pump(client, server)).start();
        daemon("black-hole-proxy-down", () -> pump(server, client)).start();
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                awaitForwarding();
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // One side went away; closing both below passes that on.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    private void awaitForwarding() throws IOException {
        synchronized (gate) {
            while (blackHoled && !closed) {
                try {
                    gate.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // Already closed or broken; nothing to pass on.
        }
    }
}
