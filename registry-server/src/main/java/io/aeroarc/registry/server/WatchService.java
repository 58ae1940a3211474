package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.WatchAgentsRequest;
import io.aeroarc.registry.api.v1.WatchAgentsResponse;
import io.aeroarc.registry.api.v1.WatchRelaysRequest;
import io.aeroarc.registry.api.v1.WatchRelaysResponse;
import io.aeroarc.registry.core.RequestValidator;
import io.aeroarc.registry.core.watch.WatchHub;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.RemovalReason;
import io.aeroarc.registry.spi.support.DaemonThreads;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WatchRelays and WatchAgents streams of one server. The first watch opens the backend's change
 * feed through a {@link WatchHub}, which then serves every stream for the server's life: a server
 * nobody watches pays nothing (a backend without a native feed would otherwise poll its storage).
 *
 * <p>A watch call's handler only registers the stream and returns: it holds no call thread while
 * the stream lives. Messages go out on the watch threads (as many as cores, at least two).
 */
final class WatchService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WatchService.class);
    private static final long BEHIND_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final RegistryBackend backend;
    private final String backendName;
    private final Clock clock;
    private final WatchLimits limits;
    private final ExecutorService sender = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
            DaemonThreads.numbered("registry-watch-send-"));
    private final Set<WatchStream<?, ?>> streams = ConcurrentHashMap.newKeySet();
    private final AtomicLong resyncs = new AtomicLong();
    private final AtomicLong fellBehind = new AtomicLong();
    private final AtomicLong fellBehindLogged = new AtomicLong();
    private final AtomicLong lastBehindLogNanos = new AtomicLong(System.nanoTime() - BEHIND_LOG_INTERVAL_NANOS);
    private WatchHub hub;
    private boolean closed;

    /** @param backend the server's backend: its change feed, and its lists to (re)build the view */
    WatchService(RegistryBackend backend, String backendName, Clock clock, WatchLimits limits) {
        this.backend = backend;
        this.backendName = backendName;
        this.clock = clock;
        this.limits = limits;
    }

    void watchRelays(WatchRelaysRequest request, StreamObserver<WatchRelaysResponse> responses) {
        try {
            RequestValidator.requireLabels("label_selector", request.getLabelSelectorMap());
            admit(new RelayWatchStream(hub(), (ServerCallStreamObserver<WatchRelaysResponse>) responses, sender, this,
                    request.getResumeToken(), request.getLabelSelectorMap()));
        } catch (RuntimeException e) {
            responses.onError(StatusMapper.toStatusException(e));
        }
    }

    void watchAgents(WatchAgentsRequest request, StreamObserver<WatchAgentsResponse> responses) {
        try {
            RequestValidator.requireOptionalId("relay_id", request.getRelayId());
            Set<String> agentIds = new LinkedHashSet<>(RequestValidator.requireDistinctIds("agent_ids", request.getAgentIdsList()));
            Optional<String> relayId = request.getRelayId().isEmpty() ? Optional.empty() : Optional.of(request.getRelayId());
            admit(new AgentWatchStream(hub(), (ServerCallStreamObserver<WatchAgentsResponse>) responses, sender, this,
                    request.getResumeToken(), relayId, agentIds));
        } catch (RuntimeException e) {
            responses.onError(StatusMapper.toStatusException(e));
        }
    }

    /** Watch streams open now. */
    int watchers() {
        return streams.size();
    }

    /** Snapshots marked resync sent since start: for tokens too old or foreign, and for streams that fell behind. */
    long resyncs() {
        return resyncs.get();
    }

    /** Gaps of the change feed since start; 0 before the first watch. */
    synchronized long feedGaps() {
        return hub == null ? 0 : hub.gaps();
    }

    /** Storage failures of the change feed since start; 0 before the first watch. */
    synchronized long feedFailures() {
        return hub == null ? 0 : hub.failures();
    }

    /** Streams that fell further behind than the history holds, since start (each got a resync snapshot). */
    long fellBehindCount() {
        return fellBehind.get();
    }

    /**
     * Ends every stream with UNAVAILABLE, so clients resume on another server with their last
     * token, and refuses new ones. Called first on shutdown: streams never end by themselves.
     */
    void endAll() {
        synchronized (this) {
            closed = true;
        }
        Status status = Status.UNAVAILABLE.withDescription("the server is shutting down; watch again (on another server) with the last resume_token");
        streams.forEach(stream -> stream.end(status));
    }

    /** After the server stopped: the send threads and the hub, with its feed. */
    @Override
    public void close() {
        endAll();
        sender.shutdown();
        try {
            sender.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.shutdownNow();
        WatchHub opened;
        synchronized (this) {
            opened = hub;
        }
        if (opened != null) {
            opened.close();
        }
    }

    void resynced() {
        resyncs.incrementAndGet();
    }

    void fellBehind() {
        long total = fellBehind.incrementAndGet();
        long now = System.nanoTime();
        long last = lastBehindLogNanos.get();
        if (now - last >= BEHIND_LOG_INTERVAL_NANOS && lastBehindLogNanos.compareAndSet(last, now)) {
            LOG.warn("{} watch streams fell more than --watch-history ({}) events behind in the last {} s and got a resync snapshot ({} since start)",
                    total - fellBehindLogged.getAndSet(total), limits.history(), TimeUnit.NANOSECONDS.toSeconds(now - last), total);
        }
    }

    void ended(WatchStream<?, ?> stream) {
        streams.remove(stream);
        synchronized (this) {
            notifyAll();
        }
    }

    /** @return whether every stream ended (its status sent, or its client gone) within {@code timeout} */
    synchronized boolean awaitNone(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!streams.isEmpty()) {
            long leftMillis = (deadline - System.nanoTime()) / 1_000_000;
            if (leftMillis <= 0) {
                return false;
            }
            wait(Math.min(leftMillis, 50));
        }
        return true;
    }

    static io.aeroarc.registry.api.v1.RemovalReason reason(RemovalReason reason) {
        switch (reason) {
            case EXPIRED:
                return io.aeroarc.registry.api.v1.RemovalReason.REMOVAL_REASON_EXPIRED;
            case DEREGISTERED:
                return io.aeroarc.registry.api.v1.RemovalReason.REMOVAL_REASON_DEREGISTERED;
            case RELAY_GONE:
                return io.aeroarc.registry.api.v1.RemovalReason.REMOVAL_REASON_RELAY_GONE;
            default:
                throw new IllegalArgumentException("unknown removal reason " + reason);
        }
    }

    private void admit(WatchStream<?, ?> stream) {
        synchronized (this) {
            if (closed) {
                throw Status.UNAVAILABLE.withDescription("the server is shutting down; watch on another server").asRuntimeException();
            }
            if (streams.size() >= limits.maxWatchers()) {
                throw Status.RESOURCE_EXHAUSTED.withDescription("this server serves at most " + limits.maxWatchers()
                        + " watch streams (--max-watchers); watch on another server, or share a stream").asRuntimeException();
            }
            streams.add(stream);
        }
        stream.start();
    }

    /** The hub, opened with the backend's change feed on the first watch. */
    private synchronized WatchHub hub() {
        if (closed) {
            throw Status.UNAVAILABLE.withDescription("the server is shutting down; watch on another server").asRuntimeException();
        }
        if (hub == null) {
            ChangeFeed feed;
            try {
                feed = backend.changeFeed(new BackendContext(clock));
            } catch (UnsupportedOperationException e) {
                throw Status.UNIMPLEMENTED.withDescription("backend " + backendName + " has no change feed; watching is not available")
                        .asRuntimeException();
            }
            hub = new WatchHub(feed, backend, clock, limits.history()).start();
            LOG.info("watching: the first watch opened backend {}'s change feed (resume window: {})", backendName, feed.resumeWindow());
        }
        return hub;
    }
}
