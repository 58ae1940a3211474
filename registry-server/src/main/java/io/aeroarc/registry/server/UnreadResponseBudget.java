package io.aeroarc.registry.server;

import com.google.protobuf.MessageLite;
import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
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
import java.util.Set;
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
    /**
     * List calls of one connection built at once. A page is up to 3.5 MiB on the wire and several
     * times that in heap while it is built; a client sending a hundred lists at once (and reading
     * none) would otherwise have a page built on every call thread. Paging is sequential, so a
     * client rarely has more than one list call open.
     */
    static final int DEFAULT_LIST_BUILDS_PER_CONNECTION = 4;
    private static final Set<String> LIST_METHODS = Set.of(AeroRegistryGrpc.getListRelaysMethod().getFullMethodName(),
            AeroRegistryGrpc.getListAgentsMethod().getFullMethodName());

    private final long perConnection;
    private final long total;
    private final int listBuildsPerConnection;
    private final AtomicLong unread = new AtomicLong();
    private final Map<SocketAddress, AtomicLong> unreadByConnection = new ConcurrentHashMap<>();
    private final Map<SocketAddress, Integer> listBuildsByConnection = new ConcurrentHashMap<>();

    UnreadResponseBudget(long perConnection, long total, int listBuildsPerConnection) {
        this.perConnection = perConnection;
        this.total = total;
        this.listBuildsPerConnection = listBuildsPerConnection;
    }

    long unreadBytes() {
        return unread.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (WatchMethods.isWatch(call.getMethodDescriptor())) {
            // A watch sends only while its call is ready (gRPC's flow control), so it never leaves more
            // than gRPC's on-ready threshold unread; its bytes would otherwise count until the stream
            // ends, hours later, and starve the connection's other calls.
            return next.startCall(call, headers);
        }
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        boolean list = peer != null && LIST_METHODS.contains(call.getMethodDescriptor().getFullMethodName());
        BudgetedCall<Q, R> budgeted = new BudgetedCall<>(call, peer);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(budgeted, headers)) {
            @Override
            public void onHalfClose() {
                // Checked again before the work starts: a client pipelining list after list without
                // reading would otherwise have every one of them computed, only to be refused at the end.
                if (unreadOn(peer) >= perConnection / 2) {
                    budgeted.refuse("earlier responses on this connection are still unread; read them before asking for more");
                    return;
                }
                if (list) {
                    if (listBuildsByConnection.merge(peer, 1, Integer::sum) > listBuildsPerConnection) {
                        listBuildEnded(peer);
                        budgeted.refuse("more than " + listBuildsPerConnection + " list calls at once on this connection; page one at a time");
                        return;
                    }
                    budgeted.buildingList = true;
                }
                super.onHalfClose();
            }

            @Override
            public void onComplete() {
                budgeted.built();
                give(peer, budgeted.held.getAndSet(0));
                super.onComplete();
            }

            @Override
            public void onCancel() {
                budgeted.built();
                give(peer, budgeted.held.getAndSet(0));
                super.onCancel();
            }
        };
    }

    private final class BudgetedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private final SocketAddress peer;
        private final AtomicLong held = new AtomicLong();
        /** Whether this is a list call being built, counted in {@link #listBuildsByConnection}. */
        private volatile boolean buildingList;
        private boolean refused;

        BudgetedCall(ServerCall<Q, R> call, SocketAddress peer) {
            super(call);
            this.peer = peer;
        }

        void refuse(String why) {
            refused = true;
            built();
            super.close(Status.RESOURCE_EXHAUSTED.withDescription(why), new Metadata());
        }

        /** The response is built (or never will be): the next list call of the connection may start. */
        synchronized void built() {
            if (buildingList) {
                buildingList = false;
                listBuildEnded(peer);
            }
        }

        @Override
        public void sendMessage(R message) {
            if (refused) {
                return;
            }
            built();
            int size = message instanceof MessageLite proto ? proto.getSerializedSize() : 0;
            if (!take(peer, size)) {
                refuse("earlier responses on this connection are still unread; read them before asking for more");
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
            built();
            if (!refused) {
                super.close(status, trailers);
            }
        }
    }

    private void listBuildEnded(SocketAddress peer) {
        listBuildsByConnection.computeIfPresent(peer, (p, building) -> building <= 1 ? null : building - 1);
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
