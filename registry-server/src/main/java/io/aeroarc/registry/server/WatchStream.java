package io.aeroarc.registry.server;

import io.aeroarc.registry.core.watch.FleetEvent;
import io.aeroarc.registry.core.watch.WatchHub;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One watch stream: a snapshot in pages, its end, then batches of events, read from the shared
 * {@link WatchHub}. The stream keeps only a cursor into the hub's events (and, while it sends a
 * snapshot, the last id sent).
 *
 * <p>Snapshots are read a page at a time, in id order, as they are sent, never copied whole: a
 * stream remembers the hub's last event before its first page, and after the snapshot's end it
 * continues with the events after that one. Entries that changed while the pages were read are
 * thereby sent again as events (an upsert or removal the client applies on top, reaching the same
 * state), so the pages together with those events are exact without holding the fleet per stream.
 *
 * <p>Flow control: messages are sent only while gRPC says the call is ready (its buffer under the
 * on-ready threshold), so nothing queues in gRPC's buffers; a stream that cannot keep up stays
 * behind on its cursor, and when the hub's history no longer holds the events after it, the
 * stream starts over with a snapshot marked resync. Sending happens on the watch threads, one
 * drain at a time per stream, never on the hub's thread or a call thread.
 *
 * @param <T> the records the stream shows (relays or placements)
 * @param <R> its response message
 */
abstract class WatchStream<T, R> {

    /** Entries per snapshot page, events per batch. */
    static final int PAGE = 500;

    private final WatchHub hub;
    private final ServerCallStreamObserver<R> responses;
    private final Executor sender;
    private final WatchService service;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();
    private final Runnable wake = this::wake;
    /** Set by the client's request until the hub is ready to tell whether it resumes. */
    private String resumeToken;
    private volatile Status endWith;
    /** Whether the first drain after the hub became ready has chosen between resuming and a snapshot. */
    private volatile boolean started;

    // The drain's own (one drain at a time).
    private long cursor;
    /** The last id of the snapshot sent so far; null when no snapshot is being sent. */
    private String snapshotAfter;
    private boolean resync;

    WatchStream(WatchHub hub, ServerCallStreamObserver<R> responses, Executor sender, WatchService service, String resumeToken) {
        this.hub = hub;
        this.responses = responses;
        this.sender = sender;
        this.service = service;
        this.resumeToken = resumeToken;
    }

    /** Hooks the stream up; called within the call's handler, as gRPC requires for the handlers. */
    final void start() {
        responses.setOnReadyHandler(wake);
        responses.setOnCancelHandler(this::cancelled);
        responses.setOnCloseHandler(this::release);
        hub.addListener(wake);
        wake();
    }

    /** Ends the stream with {@code status} (shutdown); the client resumes elsewhere with its last token. */
    final void end(Status status) {
        endWith = status;
        wake();
    }

    /** The next page of this stream's part of the hub's view, after {@code afterId} in id order. */
    abstract List<T> snapshotPage(WatchHub hub, String afterId, int max);

    abstract String idOf(T item);

    abstract R page(List<T> items, boolean resync);

    abstract R snapshotEnd(String token, boolean resync);

    /** The response for the events this stream shows among {@code events} (numbered from {@code first}); null for none. */
    abstract R events(List<FleetEvent> events, long first, WatchHub hub);

    private void wake() {
        if (draining.compareAndSet(false, true)) {
            sender.execute(this::drain);
        }
    }

    private void drain() {
        long sentUpTo = Long.MAX_VALUE;
        try {
            if (!ended.get()) {
                sentUpTo = send();
            }
        } catch (RuntimeException e) {
            finish(Status.INTERNAL.withDescription("the watch stream failed").withCause(e));
        } finally {
            draining.set(false);
        }
        // A wake-up that came while this drain ran (an event, readiness, the end) found it running and was dropped.
        if (!ended.get() && (endWith != null || responses.isReady() && (!started && hub.ready() || sentUpTo < hub.lastSequence()))) {
            wake();
        }
    }

    /** @return the cursor when it stopped: behind the hub's last event only if the call stopped being ready */
    private long send() {
        if (endWith != null) {
            finish(endWith);
            return Long.MAX_VALUE;
        }
        if (!hub.ready()) {
            return Long.MAX_VALUE; // the hub tells its listeners when it is
        }
        if (!started) {
            started = true;
            if (!resumeToken.isEmpty() && hub.resumePoint(resumeToken).isPresent()) {
                cursor = hub.resumePoint(resumeToken).getAsLong();
            } else {
                startSnapshot(!resumeToken.isEmpty());
            }
            resumeToken = null;
        }
        List<FleetEvent> batch = new ArrayList<>();
        while (responses.isReady() && !ended.get() && endWith == null) {
            if (snapshotAfter != null) {
                sendPage();
                continue;
            }
            batch.clear();
            if (!hub.read(cursor, PAGE, batch)) {
                service.fellBehind();
                startSnapshot(true);
                continue;
            }
            if (batch.isEmpty()) {
                return cursor;
            }
            R message = events(batch, cursor + 1, hub);
            cursor += batch.size();
            if (message != null) {
                responses.onNext(message);
            }
        }
        // Not ready (or ending): a snapshot under way counts as behind, so the next readiness resumes it.
        return snapshotAfter != null ? -1 : cursor;
    }

    /** The events after the hub's last one now are replayed after the snapshot's pages, however long they take. */
    private void startSnapshot(boolean resync) {
        this.cursor = hub.lastSequence();
        this.snapshotAfter = "";
        this.resync = resync;
        if (resync) {
            service.resynced();
        }
    }

    private void sendPage() {
        List<T> items = snapshotPage(hub, snapshotAfter, PAGE);
        if (!items.isEmpty()) {
            responses.onNext(page(items, resync));
            snapshotAfter = idOf(items.get(items.size() - 1));
            if (items.size() == PAGE) {
                return; // maybe more
            }
        }
        responses.onNext(snapshotEnd(hub.token(cursor), resync));
        snapshotAfter = null;
    }

    /** The client left, or the call was cancelled before the end it was sent (finish) went out. */
    private void cancelled() {
        ended.set(true);
        release();
    }

    /** Sends the status; the stream counts as ended once gRPC has sent it (or the client left). */
    private void finish(Status status) {
        if (ended.compareAndSet(false, true)) {
            hub.removeListener(wake);
            responses.onError(status.asRuntimeException());
        }
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            hub.removeListener(wake);
            service.ended(this);
        }
    }
}
