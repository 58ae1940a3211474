package io.aeroarc.registry.server;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds response bytes that peers leave unread. A response's bytes count from when it is sent
 * until its call completes, which gRPC reports only after the last frame went out under HTTP/2
 * flow control; a client that advertises a zero window and asks for list after list therefore
 * holds its budget, and its further responses are refused with RESOURCE_EXHAUSTED instead of
 * piling up in the server's buffers. A connection's first unread response always goes out, so
 * any page can be read; responses up to {@link #SMALL_RESPONSE_BYTES} (heartbeats) are never
 * refused for other connections' sake.
 */
final class UnreadResponseBudget implements ServerInterceptor {

    static final int SMALL_RESPONSE_BYTES = 64 * 1024;

    private final long perConnection;
    private final long total;
    private final AtomicLong unread = new AtomicLong();
    private final Map<SocketAddress, AtomicLong> unreadByConnection = new ConcurrentHashMap<>();

    UnreadResponseBudget(long perConnection, long total) {
        this.perConnection = perConnection;
        this.total = total;
    }

    long unreadBytes() {
        return unread.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        BudgetedCall<Q, R> budgeted = new BudgetedCall<>(call, peer);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(budgeted, headers)) {
            @Override
            public void onHalfClose() {
                // Checked again before the work starts: a client pipelining list after list without
                // reading would otherwise have every one of them computed, only to be refused at the end.
                if (unreadOn(peer) >= perConnection / 2) {
                    budgeted.refuse();
                    return;
                }
                super.onHalfClose();
            }

            @Override
            public void onComplete() {
                give(peer, budgeted.held.getAndSet(0));
                super.onComplete();
            }

            @Override
            public void onCancel() {
                give(peer, budgeted.held.getAndSet(0));
                super.onCancel();
            }
        };
    }

    private final class BudgetedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private final SocketAddress peer;
        private final AtomicLong held = new AtomicLong();
        private boolean refused;

        BudgetedCall(ServerCall<Q, R> call, SocketAddress peer) {
            super(call);
            this.peer = peer;
        }

        void refuse() {
            refused = true;
            super.close(Status.RESOURCE_EXHAUSTED.withDescription(
                    "earlier responses on this connection are still unread; read them before asking for more"), new Metadata());
        }

        @Override
        public void sendMessage(R message) {
            if (refused) {
                return;
            }
            int size = message instanceof MessageLite proto ? proto.getSerializedSize() : 0;
            if (!take(peer, size)) {
                refuse();
                return;
            }
            held.addAndGet(size);
            super.sendMessage(message);
        }

        @Override
        public void sendHeaders(Metadata headers) {
            if (!refused) {
                super.sendHeaders(headers);
            }
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (!refused) {
                super.close(status, trailers);
            }
        }
    }

    private long unreadOn(SocketAddress peer) {
        AtomicLong connection = peer == null ? null : unreadByConnection.get(peer);
        return connection == null ? 0 : connection.get();
    }

    private boolean take(SocketAddress peer, int size) {
        AtomicLong connection = peer == null ? new AtomicLong() : unreadByConnection.computeIfAbsent(peer, p -> new AtomicLong());
        long before = connection.get();
        if (before > 0 && before + size > perConnection) {
            return false;
        }
        if (size > SMALL_RESPONSE_BYTES && unread.get() > 0 && unread.get() + size > total) {
            return false;
        }
        connection.addAndGet(size);
        unread.addAndGet(size);
        return true;
    }

    private void give(SocketAddress peer, long size) {
        if (size == 0) {
            return;
        }
        unread.addAndGet(-size);
        if (peer != null) {
            unreadByConnection.computeIfPresent(peer, (p, connection) -> connection.addAndGet(-size) <= 0 ? null : connection);
        }
    }
}
