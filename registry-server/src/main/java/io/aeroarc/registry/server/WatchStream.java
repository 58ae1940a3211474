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
 * {@link WatchHub}. The stream keeps only a cursor into the hub's events while idle.
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
    /** What a drain returns when it waits for a snapshot slot rather than for events or readiness. */
    private static final long WAITING_FOR_SNAPSHOT = Long.MIN_VALUE;

    private final WatchHub hub;
    private final ServerCallStreamObserver<R> responses;
    private final Executor sender;
    private final WatchService service;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final Runnable wake = this::wake;
    /** Set by the client's request until the hub is ready to tell whether it resumes. */
    private String resumeToken;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();
    /** Whether it holds one of the service's snapshot slots (see {@link WatchService#acquireSnapshot}). */
    private final AtomicBoolean holdsSnapshot = new AtomicBoolean();
    private volatile Status endWith;
    /** Whether the first drain after the hub became ready has chosen between resuming and a snapshot. */
    private volatile boolean started;

    // The drain's own (one drain at a time).
    private long cursor;
    private boolean snapshotDue;
    private List<T> snapshot;
    private int snapshotSent;
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

    /** The part of the hub's view this stream shows, and the event it is current to. */
    abstract WatchHub.Snapshot<T> snapshot(WatchHub hub);

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
        if (ended.get()) {
            return;
        }
        if (sentUpTo == WAITING_FOR_SNAPSHOT) {
            if (endWith != null || service.snapshotSlotFree()) {
                wake();
            }
        } else if (endWith != null || responses.isReady() && (!started && hub.ready() || sentUpTo < hub.lastSequence())) {
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
                snapshotDue = true;
                resync = !resumeToken.isEmpty();
            }
            resumeToken = null;
        }
        List<FleetEvent> batch = new ArrayList<>();
        while (responses.isReady() && !ended.get() && endWith == null) {
            if (snapshotDue) {
                if (!service.acquireSnapshot(this)) {
                    return WAITING_FOR_SNAPSHOT; // the service wakes this stream when a snapshot may be taken
                }
                holdsSnapshot.set(true);
                if (released.get()) {
                    releaseSnapshot(); // ended meanwhile
                    return Long.MAX_VALUE;
                }
                snapshotDue = false;
                takeSnapshot(resync);
            }
            if (snapshot != null) {
                sendPage();
                continue;
            }
            batch.clear();
            if (!hub.read(cursor, PAGE, batch)) {
                service.fellBehind();
                snapshotDue = true;
                resync = true;
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
        // Not ready (or ending): a pending snapshot counts as behind, so the next readiness resumes it.
        return snapshot != null || snapshotDue ? -1 : cursor;
    }

    private void takeSnapshot(boolean resync) {
        WatchHub.Snapshot<T> taken = snapshot(hub);
        this.snapshot = taken.items();
        this.snapshotSent = 0;
        this.cursor = taken.sequence();
        if (resync) {
            service.resynced();
        }
    }

    private void sendPage() {
        if (snapshotSent < snapshot.size()) {
            int end = Math.min(snapshot.size(), snapshotSent + PAGE);
            responses.onNext(page(snapshot.subList(snapshotSent, end), resync));
            snapshotSent = end;
            return;
        }
        responses.onNext(snapshotEnd(hub.token(cursor), resync));
        snapshot = null;
        releaseSnapshot();
    }

    private void releaseSnapshot() {
        if (holdsSnapshot.compareAndSet(true, false)) {
            service.releaseSnapshot();
        }
    }

    /** Whether the stream is over (its end sent or its client gone). */
    final boolean isEnded() {
        return ended.get() || released.get();
    }

    /** Tries again for a snapshot (or anything else it waits for). */
    final void retry() {
        wake();
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
            releaseSnapshot();
            service.ended(this);
        }
    }
}
