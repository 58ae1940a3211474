package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.spi.support.DaemonThreads;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits the registry's calls to a fixed set of threads through two bounded queues, so the server
 * sheds what it cannot serve in time instead of queueing without bound.
 *
 * <ul>
 *   <li><b>Deadline.</b> Every call gets one: the client's, or {@link CallLimits#defaultDeadline()}
 *       when it sent none. A call whose deadline passed while it was queued is not run; it gets
 *       DEADLINE_EXCEEDED (the client has stopped waiting anyway).</li>
 *   <li><b>Lanes.</b> Liveness calls (RegisterRelay, HeartbeatRelay, RegisterAgent, HeartbeatAgent,
 *       HeartbeatAgents) are taken first, and {@link CallLimits#reservedForLiveness()} threads only
 *       ever run them: a flood of lists cannot delay the heartbeats that keep relays alive.</li>
 *   <li><b>Shedding.</b> A call finding its lane's queue full, or that waited longer than
 *       {@link CallLimits#maxQueueWait()} while others still wait behind it, gets UNAVAILABLE with a {@code grpc-retry-pushback-ms}
 *       trailer (see {@link StatusMapper#overloaded} for why not RESOURCE_EXHAUSTED). Health stays
 *       SERVING: the storage answers, the server is only busy.</li>
 * </ul>
 *
 * <p>The call's listener runs on the transport thread until the request is complete (parsing a
 * message is cheap and bounded); only then is the call queued, and a worker runs the handler.
 *
 * <p>The methods named {@code onTransportThread} skip the queue: their handler runs on the
 * transport thread when the request is complete. The server names the gathered calls there when
 * they never wait for the storage (see {@code CoalescingBackend#gatheredCallsNeverWait}): their
 * handler only hands the call to a batch, so a worker would add a thread wake-up per call and
 * nothing else. The batch's own queue bounds them and sheds the excess.
 */
final class CallAdmission implements ServerInterceptor, AutoCloseable {

    static final Metadata.Key<String> RETRY_PUSHBACK = Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);
    /** Shed calls are told to come back after this, plus up to as much again at random so they do not return together. */
    static final long PUSHBACK_MILLIS = 200;

    private static final Logger LOG = LoggerFactory.getLogger(CallAdmission.class);
    /** Shedding is logged as a count at most this often, never per call. */
    private static final long SHED_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final Set<String> LIVENESS_METHODS = Set.of("RegisterRelay", "HeartbeatRelay", "RegisterAgent", "HeartbeatAgent",
            "HeartbeatAgents");

    private final CallLimits limits;
    private final AdmissionMetrics metrics;
    private final Set<String> onTransportThread;
    private final ArrayDeque<QueuedCall> livenessQueue = new ArrayDeque<>();
    private final ArrayDeque<QueuedCall> otherQueue = new ArrayDeque<>();
    private final List<Thread> workers = new ArrayList<>();
    private final ScheduledExecutorService deadlineTimer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("registry-default-deadline"));
    private final AtomicLong shed = new AtomicLong();
    private final AtomicLong shedLogged = new AtomicLong();
    private final AtomicLong lastShedLogNanos = new AtomicLong(System.nanoTime() - SHED_LOG_INTERVAL_NANOS);
    private final AtomicLong expiredInQueue = new AtomicLong();
    private int runningOther;
    private boolean closed;

    CallAdmission(CallLimits limits) {
        this(limits, AdmissionMetrics.NONE);
    }

    CallAdmission(CallLimits limits, AdmissionMetrics metrics) {
        this(limits, metrics, Set.of());
    }

    /** @param onTransportThread bare names of the AeroRegistry methods whose handler never waits: run where their request completes */
    CallAdmission(CallLimits limits, AdmissionMetrics metrics, Set<String> onTransportThread) {
        this.limits = limits;
        this.metrics = metrics;
        this.onTransportThread = Set.copyOf(onTransportThread);
        for (int i = 0; i < limits.threads(); i++) {
            Thread worker = new Thread(this::work, "registry-call-" + i);
            // Daemons: the JVM's exit is decided by the server's stop and Main, never by a stuck call.
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    /** Calls shed for a full queue or a queue wait over the bound, since start. */
    long shedCount() {
        return shed.get();
    }

    /** Calls waiting for a thread in the liveness lane ({@code true}) or the other lane, now. */
    synchronized int queuedCalls(boolean liveness) {
        return liveness ? livenessQueue.size() : otherQueue.size();
    }

    /** Calls not run because their deadline passed while queued, since start. */
    long expiredInQueueCount() {
        return expiredInQueue.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!AeroRegistryGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        Context context = Context.current();
        Context.CancellableContext defaultDeadline = null;
        // A watch lives until the client or the server ends it: a default deadline would cut every
        // stream after a few seconds. A deadline the client sets still applies.
        if (context.getDeadline() == null && !WatchMethods.isWatch(call.getMethodDescriptor())) {
            defaultDeadline = context.withDeadline(
                    Deadline.after(limits.defaultDeadline().toNanos(), TimeUnit.NANOSECONDS), deadlineTimer);
            context = defaultDeadline;
        }
        String method = call.getMethodDescriptor().getBareMethodName();
        ServerCall.Listener<Q> handler = Contexts.interceptCall(context, call, headers, next);
        if (onTransportThread.contains(method)) {
            return new DeadlineReleasingListener<>(handler, defaultDeadline);
        }
        boolean liveness = LIVENESS_METHODS.contains(method);
        Deadline deadline = context.getDeadline() != null ? context.getDeadline()
                : Deadline.after(limits.defaultDeadline().toNanos(), TimeUnit.NANOSECONDS); // for its wait in the queue only
        return new QueuedListener<>(handler, call, liveness, deadline, defaultDeadline);
    }

    /** Waits for running calls no more; queued ones are dropped (the server cancels them). */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            livenessQueue.clear();
            otherQueue.clear();
            notifyAll();
        }
        workers.forEach(Thread::interrupt);
        deadlineTimer.shutdownNow();
    }

    private void enqueue(QueuedCall queued) {
        boolean full;
        synchronized (this) {
            ArrayDeque<QueuedCall> queue = queued.liveness ? livenessQueue : otherQueue;
            full = closed || queue.size() >= limits.maxQueuedCalls();
            if (!full) {
                queue.addLast(queued);
                notify(); // one call, one worker: every worker can take any call
            }
        }
        if (full) {
            queued.shed("the server is overloaded: too many calls queued; retry after the pushback", true);
        }
    }

    private void work() {
        while (true) {
            QueuedCall queued;
            try {
                queued = next();
            } catch (InterruptedException e) {
                return;
            }
            try {
                queued.runOrRefuse();
            } finally {
                if (!queued.liveness) {
                    otherEnded();
                }
            }
        }
    }

    /** Liveness calls first; other calls only while they leave the reserved threads free. */
    private synchronized QueuedCall next() throws InterruptedException {
        while (!closed) {
            if (!livenessQueue.isEmpty()) {
                QueuedCall next = livenessQueue.pollFirst();
                next.backlogged = !livenessQueue.isEmpty();
                return next;
            }
            if (!otherQueue.isEmpty() && runningOther < limits.threads() - limits.reservedForLiveness()) {
                runningOther++;
                QueuedCall next = otherQueue.pollFirst();
                next.backlogged = !otherQueue.isEmpty();
                return next;
            }
            wait();
        }
        throw new InterruptedException("closed");
    }

    private synchronized void otherEnded() {
        runningOther--;
        notify();
    }

    /**
     * A gathered call (HeartbeatAgent, GetAgentPlacement) that left its thread to wait for a storage
     * round trip and was shed there because too many calls waited (see CoalescingBackend): counted
     * and logged as the calls shed here.
     */
    void gatheredCallShed(boolean liveness) {
        shed.incrementAndGet();
        metrics.shed(liveness, true);
        logShedding();
    }

    private void logShedding() {
        long now = System.nanoTime();
        long last = lastShedLogNanos.get();
        if (now - last >= SHED_LOG_INTERVAL_NANOS && lastShedLogNanos.compareAndSet(last, now)) {
            long total = shed.get();
            LOG.warn("overloaded: shed {} calls with UNAVAILABLE and a retry pushback in the last {} s ({} since start)",
                    total - shedLogged.getAndSet(total), TimeUnit.NANOSECONDS.toSeconds(now - last), total);
        }
    }

    /** The trailers of a shed call: come back after the pushback. */
    static Metadata pushbackTrailers() {
        Metadata trailers = new Metadata();
        long millis = PUSHBACK_MILLIS + ThreadLocalRandom.current().nextLong(PUSHBACK_MILLIS + 1);
        trailers.put(RETRY_PUSHBACK, Long.toString(millis));
        return trailers;
    }

    /** A call whose request is complete, waiting for a thread. */
    private final class QueuedCall {
        final boolean liveness;
        final ServerCall<?, ?> call;
        final Deadline deadline;
        final Runnable handler;
        final long queuedAtNanos = System.nanoTime();
        volatile boolean cancelled;
        /** Whether other calls of its lane were still queued when a thread took it; set under the admission's lock. */
        boolean backlogged;

        QueuedCall(boolean liveness, ServerCall<?, ?> call, Deadline deadline, Runnable handler) {
            this.liveness = liveness;
            this.call = call;
            this.deadline = deadline;
            this.handler = handler;
        }

        void runOrRefuse() {
            if (cancelled) {
                return; // gRPC has answered the client already
            }
            long waited = System.nanoTime() - queuedAtNanos;
            metrics.queueWait(liveness, waited);
            if (deadline.isExpired()) {
                expiredInQueue.incrementAndGet();
                metrics.expiredInQueue(liveness);
                call.close(StatusMapper.deadlinePassedInQueue(), new Metadata());
                return;
            }
            // Only while calls are still waiting behind it: a lone call that was slow to reach a
            // thread (a GC pause, a busy host) met no overload, and shedding it would help nobody.
            if (backlogged && waited > limits.maxQueueWait().toNanos()) {
                shed("the server is overloaded: the call waited too long for a thread; retry after the pushback", false);
                return;
            }
            handler.run();
        }

        void shed(String reason, boolean queueFull) {
            shed.incrementAndGet();
            metrics.shed(liveness, queueFull);
            call.close(StatusMapper.overloaded(reason), pushbackTrailers());
            logShedding();
        }
    }

    /**
     * Passes every event on where it arrives, the handler's too, and ends the call's default
     * deadline timer (if it got one) when the call ends.
     */
    private static class DeadlineReleasingListener<Q> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
        private final Context.CancellableContext defaultDeadline;

        DeadlineReleasingListener(ServerCall.Listener<Q> handler, Context.CancellableContext defaultDeadline) {
            super(handler);
            this.defaultDeadline = defaultDeadline;
        }

        @Override
        public void onCancel() {
            try {
                super.onCancel();
            } finally {
                releaseTimer();
            }
        }

        @Override
        public void onComplete() {
            try {
                super.onComplete();
            } finally {
                releaseTimer();
            }
        }

        private void releaseTimer() {
            if (defaultDeadline != null) {
                defaultDeadline.cancel(null);
            }
        }
    }

    /** Runs everything up to the complete request where it arrives, then queues the handler. */
    private final class QueuedListener<Q> extends DeadlineReleasingListener<Q> {
        private final ServerCall<Q, ?> call;
        private final boolean liveness;
        private final Deadline deadline;
        private QueuedCall queued;

        QueuedListener(ServerCall.Listener<Q> handler, ServerCall<Q, ?> call, boolean liveness, Deadline deadline,
                Context.CancellableContext defaultDeadline) {
            super(handler, defaultDeadline);
            this.call = call;
            this.liveness = liveness;
            this.deadline = deadline;
        }

        @Override
        public void onHalfClose() {
            queued = new QueuedCall(liveness, call, deadline, super::onHalfClose);
            enqueue(queued);
        }

        @Override
        public void onCancel() {
            if (queued != null) {
                queued.cancelled = true;
            }
            super.onCancel();
        }
    }
}
