package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentsRequest;
import io.aeroarc.registry.api.v1.HeartbeatAgentsResponse;
import io.aeroarc.registry.api.v1.HeartbeatRelayRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentResponse;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.RegisterRelayResponse;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.core.GoDurations;
import io.aeroarc.registry.tck.StorageControl;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;

/**
 * A fleet as it runs: {@code relays × agentsPerRelay} agents, each renewed every
 * {@code interval} (by its own HeartbeatAgent, or by its relay's HeartbeatAgents when batched),
 * every relay heartbeating at the same interval, and API servers looking agents up at a fixed
 * rate. Every send is spread evenly over the interval and due at a fixed time (open loop).
 *
 * <p>The fleet starts up in {@code registrationWaves} intervals: in interval {@code w} the relays
 * with {@code index % waves == w} register their agents at their slots, and agents registered in
 * earlier waves already heartbeat, as a fleet coming up does. Then it runs for {@code duration}.
 *
 * <p>A <b>false expiry</b> is a NOT_FOUND, FAILED_PRECONDITION or lost id for an agent (or relay)
 * that had a renewal (register or heartbeat) answered before the failing call was sent, and sent
 * less than a TTL before the failing answer arrived: the registry renewed it no earlier than that
 * send and before it saw the failing call, so it was still live when it answered. A renewal still
 * unanswered when the call was sent may have been applied after it, so it does not count (a
 * lookup racing a re-registration is no false expiry). One answering later than a TTL after the
 * renewal is counted as expected: the client was late, not the registry wrong; so is an agent's
 * whose relay's last good renewal is older than the relay TTL (a placement is live only while its
 * relay is). A lost agent or relay is registered again, as a relay would.
 */
final class FleetScenario {

    private static final int MAX_EXAMPLES = 5;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);
    /** As the open loop's bound: beyond it the registry is not keeping up, and waiting longer shows nothing new. */
    static final int MAX_IN_FLIGHT = 20_000;
    /** A send this much after its slot counts as late: the load generator could not keep up. */
    private static final long LATE_NANOS = Duration.ofSeconds(1).toNanos();
    /** The sender sleeps at least this long when a send is not due yet (the lag it adds is in the sender lag). */
    private static final long SEND_TICK_NANOS = Duration.ofMillis(1).toNanos() / 5;

    /**
     * @param agentTtl and {@code relayTtl}: the registry's, to judge expiries
     * @param lookupsPerSecond GetAgentPlacement calls from simulated API servers
     * @param registrationWaves intervals over which the agents are first registered, a share of
     *     the relays in each, so start-up asks for {@code agents / waves} registrations per interval
     */
    record Settings(int relays, int agentsPerRelay, Duration interval, boolean batched, double lookupsPerSecond, Duration duration,
            Duration agentTtl, Duration relayTtl, int registrationWaves) {

        int agents() {
            return relays * agentsPerRelay;
        }
    }

    /**
     * @param heartbeatCalls successful HeartbeatAgent or HeartbeatAgents calls while running
     * @param renewals agents renewed by them
     * @param falseExpiries agents reported missing although they heartbeated on time (must be 0)
     * @param falseRelayExpiries relays reported not live although they heartbeated on time (must be 0)
     * @param expectedExpiries agents or relays reported missing after the client was late by a TTL
     * @param lateSends sends more than a second after their slot
     * @param notSent sends skipped because {@value #MAX_IN_FLIGHT} calls were in flight: the registry
     *     could not keep up, and an unbounded queue would only have moved the failure into this JVM
     * @param examples a few false expiries, described
     * @param windows latency of every heartbeat and lookup per {@value #WINDOW_SECONDS} s window, from the first registration
     * @param restart what a restart of the storage did, when the run restarted it; else null
     */
    record Result(Settings settings, double seconds, long agentsRegistered, long heartbeatCalls, long renewals, long relayHeartbeats,
            long lookups, long falseExpiries, long falseRelayExpiries, long expectedExpiries, long reRegistrations,
            Map<String, Long> errors, Latency heartbeatLatency, Latency lookupLatency, Latency senderLag, long lateSends,
            long notSent, CpuUse cpu, List<String> examples, List<Window> windows, RestartResult restart) {

        double renewalsPerSecond() {
            return renewals / seconds;
        }
    }

    /**
     * One {@value #WINDOW_SECONDS} s window of the run.
     *
     * @param startSecond from the start of the steady run; negative while the fleet comes up
     * @param calls heartbeats and lookups answered OK in the window; their latency counts from their slot
     * @param failures calls that failed or reported an agent missing in the window
     */
    record Window(long startSecond, long calls, double p50Micros, double p99Micros, double p999Micros, double maxMicros,
            long failures, long reRegistrations) {}

    /** Stop the storage (all its state lost, for a server without persistence) and start it again, {@code after} into the steady run. */
    record Restart(StorageControl control, Duration after, CallAttempts attempts) {}

    /**
     * @param stoppedSeconds how long the storage was down (stop and start together)
     * @param secondsUntilPlaced from the storage answering again until every agent had a renewal
     *     sent after that answered OK; -1 when the run ended first
     * @param agentsPlacedAgain of all agents, by the end of the run
     * @param attemptsPerSecondBefore call attempts (retries included) per second over the steady run before the restart
     * @param peakAttemptsPerSecond the most attempts in one second from the restart to the end of the run
     * @param lostWithStorage agents or relays reported missing whose last renewal was sent before the storage answered
     *     again: expected, their state was lost
     * @param errors failed calls from the restart until every agent was placed again (the outage's; not in the run's errors)
     */
    record RestartResult(double afterSeconds, double stoppedSeconds, double secondsUntilPlaced, long agentsPlacedAgain,
            double attemptsPerSecondBefore, long peakAttemptsPerSecond, long lostWithStorage, Map<String, Long> errors) {}

    static final int WINDOW_SECONDS = 10;
    /** Re-registrations after NOT_FOUND back off from this, doubling per failed try, jittered (uniform from 0). */
    private static final long REREGISTER_BACKOFF_NANOS = Duration.ofMillis(500).toNanos();
    private static final long REREGISTER_BACKOFF_CAP_NANOS = Duration.ofSeconds(20).toNanos();

    private final FleetCalls calls;
    private final Settings settings;
    private final CpuMeter cpu;
    private final long agentTtlNanos;
    private final long relayTtlNanos;
    private final String[] relayIds;
    private final String[] agentIds;
    private final List<HeartbeatAgentsRequest> batches = new ArrayList<>();
    /** System.nanoTime() at which the last successful register or heartbeat was sent; 0 before any. */
    private final AtomicLongArray agentRenewedAt;
    private final AtomicLongArray relayRenewedAt;
    /** System.nanoTime() at which the relay's last successful re-registration after a loss was sent: its new incarnation. */
    private final AtomicLongArray relayReRegisteredAt;
    private final AtomicLongArray epochOf;

    private final LongAdder agentsRegistered = new LongAdder();
    private final LongAdder heartbeatCalls = new LongAdder();
    private final LongAdder renewals = new LongAdder();
    private final LongAdder relayHeartbeats = new LongAdder();
    private final LongAdder lookups = new LongAdder();
    private final LongAdder falseExpiries = new LongAdder();
    private final LongAdder falseRelayExpiries = new LongAdder();
    private final LongAdder expectedExpiries = new LongAdder();
    private final LongAdder reRegistrations = new LongAdder();
    private final LongAdder lateSends = new LongAdder();
    private final LongAdder notSent = new LongAdder();
    private final Outcomes errors = new Outcomes();
    private final Recorder heartbeatLatency = new Recorder(3);
    private final Recorder lookupLatency = new Recorder(3);
    private final Recorder senderLag = new Recorder(3);
    private final Recorder windowLatency = new Recorder(3);
    private final LongAdder windowFailures = new LongAdder();
    private final List<Window> windows = new ArrayList<>();
    /** Agents and relays with a re-registration scheduled or running: a loss reported again meanwhile waits for it. */
    private final AtomicIntegerArray agentReRegistering;
    private final AtomicIntegerArray relayReRegistering;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "fleet-timers");
        thread.setDaemon(true);
        return thread;
    });
    // The restart, when there is one: renewals sent before the stop were lost with the storage.
    private final Outcomes restartErrors = new Outcomes();
    private final LongAdder lostWithStorage = new LongAdder();
    private final AtomicIntegerArray placedAgain;
    private final AtomicInteger placedAgainCount = new AtomicInteger();
    private volatile long storageStoppedAt;
    private volatile long storageBackAt;
    private volatile long allPlacedAt;
    private volatile boolean outage;
    private final ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean running;

    private FleetScenario(FleetCalls calls, Settings settings, CpuMeter cpu) {
        this.calls = calls;
        this.settings = settings;
        this.cpu = cpu;
        this.agentTtlNanos = settings.agentTtl().toNanos();
        this.relayTtlNanos = settings.relayTtl().toNanos();
        this.relayIds = new String[settings.relays()];
        this.agentIds = new String[settings.agents()];
        this.agentRenewedAt = new AtomicLongArray(settings.agents());
        this.relayRenewedAt = new AtomicLongArray(settings.relays());
        this.relayReRegisteredAt = new AtomicLongArray(settings.relays());
        this.epochOf = new AtomicLongArray(settings.agents());
        this.agentReRegistering = new AtomicIntegerArray(settings.agents());
        this.relayReRegistering = new AtomicIntegerArray(settings.relays());
        this.placedAgain = new AtomicIntegerArray(settings.agents());
        for (int r = 0; r < relayIds.length; r++) {
            relayIds[r] = Ids.relay(r);
            HeartbeatAgentsRequest.Builder batch = HeartbeatAgentsRequest.newBuilder().setRelayId(relayIds[r]);
            for (int k = 0; k < settings.agentsPerRelay(); k++) {
                int agent = r * settings.agentsPerRelay() + k;
                agentIds[agent] = Ids.agent(agent);
                batch.addAgentIds(agentIds[agent]);
            }
            batches.add(batch.build());
        }
    }

    static Result run(RegistryClient client, Settings settings, CpuMeter cpu, Progress progress) throws InterruptedException {
        return run(FleetCalls.of(client), settings, cpu, progress, null);
    }

    /** @param restart when and how to restart the storage during the steady run; null for none */
    static Result run(FleetCalls calls, Settings settings, CpuMeter cpu, Progress progress, Restart restart)
            throws InterruptedException {
        FleetScenario fleet = new FleetScenario(calls, settings, cpu);
        try {
            return fleet.run(progress, restart);
        } finally {
            fleet.timers.shutdownNow();
        }
    }

    private Result run(Progress progress, Restart restart) throws InterruptedException {
        if (settings.interval().compareTo(settings.agentTtl()) >= 0 || settings.interval().compareTo(settings.relayTtl()) >= 0) {
            throw new IllegalArgumentException("the heartbeat interval must be shorter than the TTLs");
        }
        if (settings.registrationWaves() < 1) {
            throw new IllegalArgumentException("registration takes at least one wave");
        }
        Bulk.run("RegisterRelay", settings.relays(), 64, relay -> {
            long sent = System.nanoTime();
            return Futures.transform(registerRelay(relay), response -> relayRenewedAt.accumulateAndGet(relay, sent, Math::max),
                    MoreExecutors.directExecutor());
        });

        Schedule registration = Schedule.spread(settings.agents(), settings.relays(), settings.interval());
        Schedule steady = settings.batched() ? Schedule.spread(0, settings.relays(), settings.interval()) : registration;
        long intervalNanos = settings.interval().toNanos();
        long start = System.nanoTime() + 50_000_000;
        int waves = settings.registrationWaves();
        long steadyFrom = start + waves * intervalNanos;
        long end = steadyFrom + settings.duration().toNanos();

        progress.say("fleet: registering " + settings.agents() + " agents over the first " + settings.registrationWaves() + " × "
                + GoDurations.format(settings.interval())
                + ", then " + (settings.batched() ? "batched" : "per-agent") + " heartbeats every " + GoDurations.format(settings.interval())
                + " for " + GoDurations.format(settings.duration()));
        running = true;
        long firstWindow = start;
        timers.scheduleAtFixedRate(() -> closeWindow(firstWindow, steadyFrom), WINDOW_SECONDS, WINDOW_SECONDS, TimeUnit.SECONDS);
        Thread restartThread = null;
        if (restart != null) {
            restartThread = new Thread(() -> restartStorage(restart, steadyFrom, progress), "fleet-restart");
            restartThread.setDaemon(true);
            restartThread.start();
        }
        Thread lookupsThread = new Thread(() -> lookups(steadyFrom, end), "fleet-lookups");
        lookupsThread.setDaemon(true);
        lookupsThread.start();

        CpuMeter.Sample cpuStart = null;
        outer:
        for (int cycle = 0; ; cycle++) {
            Schedule schedule = cycle < waves ? registration : steady;
            long base = start + cycle * intervalNanos;
            if (cycle == waves) {
                cpuStart = cpu.sample();
                // Rates are of the steady run; answers to start-up calls still arriving are few.
                heartbeatCalls.reset();
                renewals.reset();
                relayHeartbeats.reset();
                heartbeatLatency.reset();
                senderLag.reset();
            }
            for (int j = 0; j < schedule.size(); j++) {
                long due = base + schedule.offset(j);
                if (due >= end) {
                    break outer;
                }
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    // A sleep per send costs this JVM more than the send at 100,000 sends/s: waking at most every
                    // SEND_TICK sends what fell due meanwhile together, each still timed from its own slot.
                    LockSupport.parkNanos(Math.max(wait, SEND_TICK_NANOS));
                }
                long lag = System.nanoTime() - due;
                if (cycle >= waves) {
                    senderLag.recordValue(Math.max(0, lag));
                    if (lag > LATE_NANOS) {
                        lateSends.increment();
                    }
                }
                fire(schedule.item(j), cycle, due);
            }
            if (cycle % Math.max(1, (int) (30_000_000_000L / intervalNanos)) == 0 && cycle > 0) {
                progress.say(String.format("fleet: %.0f s in, %d false expiries, %d errors", (System.nanoTime() - steadyFrom) / 1e9,
                        falseExpiries.sum() + falseRelayExpiries.sum(), errors.snapshot().values().stream().mapToLong(Long::longValue).sum()));
            }
        }
        long wait = end - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
        CpuUse cpuUse = cpuStart == null ? null : cpu.since(cpuStart);
        running = false;
        lookupsThread.join(DRAIN_TIMEOUT.toMillis());
        if (restartThread != null) {
            restartThread.join(DRAIN_TIMEOUT.toMillis());
        }
        long drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < drainDeadline) {
            Thread.sleep(5);
        }
        double seconds = (end - steadyFrom) / 1e9;
        timers.shutdownNow();
        closeWindow(start, steadyFrom);
        RestartResult restartResult = restart == null ? null : restartResult(restart, steadyFrom, end);
        return new Result(settings, seconds, agentsRegistered.sum(), heartbeatCalls.sum(), renewals.sum(), relayHeartbeats.sum(),
                lookups.sum(), falseExpiries.sum(), falseRelayExpiries.sum(), expectedExpiries.sum(), reRegistrations.sum(),
                errors.snapshot(), Latency.of(heartbeatLatency.getIntervalHistogram()), Latency.of(lookupLatency.getIntervalHistogram()),
                Latency.of(senderLag.getIntervalHistogram()), lateSends.sum(), notSent.sum(), cpuUse, examplesWithFirstErrors(),
                windows(), restartResult);
    }

    private synchronized List<Window> windows() {
        return List.copyOf(windows);
    }

    /** Closes the current window: its latencies and failures since the last one closed. */
    private synchronized void closeWindow(long start, long steadyFrom) {
        org.HdrHistogram.Histogram latency = windowLatency.getIntervalHistogram();
        long closedAt = System.nanoTime();
        long windowStart = start + (long) windows.size() * WINDOW_SECONDS * 1_000_000_000L;
        if (closedAt - windowStart < 1_000_000_000L && latency.getTotalCount() == 0) {
            return; // the last, empty, stub of a window at the end of the run
        }
        Latency of = Latency.of(latency);
        long reRegistered = reRegistrations.sum();
        windows.add(new Window(Math.floorDiv(windowStart - steadyFrom, 1_000_000_000L), of.count(), of.p50Micros(), of.p99Micros(),
                of.p999Micros(), of.maxMicros(), windowFailures.sumThenReset(), reRegistered - reRegistrationsAtLastWindow));
        reRegistrationsAtLastWindow = reRegistered;
    }

    private long reRegistrationsAtLastWindow;

    /** Stops the storage {@code restart.after()} into the steady run and starts it again at once. */
    private void restartStorage(Restart restart, long steadyFrom, Progress progress) {
        long wait = steadyFrom + restart.after().toNanos() - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
        if (!running) {
            return;
        }
        progress.say("fleet: restarting the storage (its state is lost)");
        outage = true;
        storageStoppedAt = System.nanoTime();
        restart.control().stop();
        restart.control().start();
        storageBackAt = System.nanoTime();
        progress.say(String.format("fleet: the storage answers again after %.1f s; relays re-register", (storageBackAt - storageStoppedAt) / 1e9));
    }

    /** Counts an agent placed again once a renewal sent after the storage came back answers OK. */
    private void placed(int agent, long sent) {
        long back = storageBackAt;
        if (back != 0 && sent >= back && placedAgain.compareAndSet(agent, 0, 1)
                && placedAgainCount.incrementAndGet() == settings.agents()) {
            allPlacedAt = System.nanoTime();
            outage = false;
        }
    }

    private RestartResult restartResult(Restart restart, long steadyFrom, long end) {
        if (storageStoppedAt == 0) {
            return new RestartResult(restart.after().toSeconds(), 0, -1, 0, Double.NaN, 0, 0, Map.of());
        }
        CallAttempts attempts = restart.attempts();
        int steadySecond = attempts.secondOf(steadyFrom);
        int stopSecond = attempts.secondOf(storageStoppedAt);
        double before = 0;
        for (int second = steadySecond; second < stopSecond; second++) {
            before += attempts.peak(second, second + 1);
        }
        before = stopSecond > steadySecond ? before / (stopSecond - steadySecond) : Double.NaN;
        return new RestartResult(restart.after().toSeconds(), (storageBackAt - storageStoppedAt) / 1e9,
                allPlacedAt == 0 ? -1 : (allPlacedAt - storageBackAt) / 1e9, placedAgainCount.get(), before,
                attempts.peak(stopSecond, attempts.secondOf(end) + 1), lostWithStorage.sum(), restartErrors.snapshot());
    }

    /** The false expiries described, then the first failed call of each kind, so an error count has its cause beside it. */
    private List<String> examplesWithFirstErrors() {
        List<String> all = new ArrayList<>(examples);
        errors.firstOfEachKind().forEach((kind, first) -> all.add("first " + kind + ": " + first));
        return List.copyOf(all);
    }

    /** A failed call: the run's error, or the outage's while the storage restarts and the fleet re-registers. */
    private void failed(Throwable failure) {
        windowFailures.increment();
        if (outage) {
            restartErrors.fail(failure);
        } else {
            errors.fail(failure);
        }
    }

    /**
     * What is sent when, within one interval: items evenly spread, agents as their index,
     * relays as {@code -1 - index}.
     */
    private record Schedule(long[] offsets, int[] items) {

        static Schedule spread(int agents, int relays, Duration interval) {
            long nanos = interval.toNanos();
            long[] offsets = new long[agents + relays];
            int[] items = new int[agents + relays];
            int a = 0;
            int r = 0;
            for (int j = 0; j < offsets.length; j++) {
                long agentOffset = a < agents ? nanos * a / agents : Long.MAX_VALUE;
                long relayOffset = r < relays ? nanos * r / relays : Long.MAX_VALUE;
                if (relayOffset <= agentOffset) {
                    offsets[j] = relayOffset;
                    items[j] = -1 - r++;
                } else {
                    offsets[j] = agentOffset;
                    items[j] = a++;
                }
            }
            return new Schedule(offsets, items);
        }

        int size() {
            return items.length;
        }

        long offset(int j) {
            return offsets[j];
        }

        int item(int j) {
            return items[j];
        }
    }

    private void fire(int item, int cycle, long due) {
        if (!admitted()) {
            return;
        }
        if (item >= 0) {
            int wave = waveOf(item / settings.agentsPerRelay());
            if (cycle == wave) {
                registerAgent(item);
            } else if (cycle > wave && !settings.batched()) {
                heartbeatAgent(item, due);
            }
            return;
        }
        int relay = -1 - item;
        heartbeatRelay(relay);
        if (settings.batched() && cycle > waveOf(relay)) {
            heartbeatBatch(relay, due);
        }
    }

    private int waveOf(int relay) {
        return relay % settings.registrationWaves();
    }

    private void heartbeatAgent(int agent, long due) {
        long confirmedBefore = agentRenewedAt.get(agent);
        long sent = System.nanoTime();
        track(calls.heartbeatAgent(HeartbeatAgentRequest.newBuilder().setAgentId(agentIds[agent])
                .setRelayId(relayIds[agent / settings.agentsPerRelay()]).setEpoch(epochOf.get(agent))
                .setTimestampUnixMs(System.currentTimeMillis()).build()), response -> {
                    agentRenewedAt.accumulateAndGet(agent, sent, Math::max);
                    heartbeatCalls.increment();
                    renewals.increment();
                    long latency = System.nanoTime() - due;
                    heartbeatLatency.recordValue(latency);
                    windowLatency.recordValue(latency);
                    placed(agent, sent);
                }, failure -> {
                    if (isExpiry(failure)) {
                        agentLost(agent, confirmedBefore, "HeartbeatAgent " + Outcomes.code(failure));
                    } else {
                        failed(failure);
                    }
                });
    }

    private void heartbeatBatch(int relay, long due) {
        int first = relay * settings.agentsPerRelay();
        long[] confirmedBefore = new long[settings.agentsPerRelay()];
        for (int k = 0; k < confirmedBefore.length; k++) {
            confirmedBefore[k] = agentRenewedAt.get(first + k);
        }
        long relayConfirmedBefore = relayRenewedAt.get(relay);
        long sent = System.nanoTime();
        HeartbeatAgentsRequest batch = batches.get(relay);
        track(calls.heartbeatAgents(batch), (HeartbeatAgentsResponse response) -> {
            Set<String> lost = response.getLostAgentIdsCount() == 0 ? Set.of() : new HashSet<>(response.getLostAgentIdsList());
            for (int k = 0; k < settings.agentsPerRelay(); k++) {
                if (lost.contains(agentIds[first + k])) {
                    agentLost(first + k, confirmedBefore[k], "HeartbeatAgents lost id");
                } else {
                    agentRenewedAt.accumulateAndGet(first + k, sent, Math::max);
                    renewals.increment();
                    placed(first + k, sent);
                }
            }
            heartbeatCalls.increment();
            long latency = System.nanoTime() - due;
            heartbeatLatency.recordValue(latency);
            windowLatency.recordValue(latency);
        }, failure -> {
            if (isExpiry(failure)) {
                relayLost(relay, relayConfirmedBefore, "HeartbeatAgents " + Outcomes.code(failure));
            } else {
                failed(failure);
            }
        });
    }

    private void heartbeatRelay(int relay) {
        long confirmedBefore = relayRenewedAt.get(relay);
        long sent = System.nanoTime();
        track(calls.heartbeatRelay(HeartbeatRelayRequest.newBuilder().setRelayId(relayIds[relay])
                .setTimestampUnixMs(System.currentTimeMillis()).build()), response -> {
                    relayRenewedAt.accumulateAndGet(relay, sent, Math::max);
                    relayHeartbeats.increment();
                }, failure -> {
                    if (isExpiry(failure)) {
                        relayLost(relay, confirmedBefore, "HeartbeatRelay " + Outcomes.code(failure));
                    } else {
                        failed(failure);
                    }
                });
    }

    /** Lookups by API servers, at a fixed rate from the end of registration to the end of the run. */
    private void lookups(long from, long end) {
        if (settings.lookupsPerSecond() <= 0) {
            return;
        }
        double intervalNanos = 1e9 / settings.lookupsPerSecond();
        for (long i = 0; running; i++) {
            long due = from + (long) (i * intervalNanos);
            if (due >= end) {
                return;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (!admitted()) {
                continue;
            }
            int agent = ThreadLocalRandom.current().nextInt(agentIds.length);
            long confirmedBefore = agentRenewedAt.get(agent);
            track(calls.getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId(agentIds[agent]).build()),
                    response -> {
                        lookups.increment();
                        long latency = System.nanoTime() - due;
                        lookupLatency.recordValue(latency);
                        windowLatency.recordValue(latency);
                    }, failure -> {
                        if (Outcomes.code(failure) == Status.Code.NOT_FOUND) {
                            judgeAgent(agent, confirmedBefore, "GetAgentPlacement NOT_FOUND");
                        } else {
                            failed(failure);
                        }
                    });
        }
    }

    /** @param confirmedBefore the send time of the last renewal answered before the failing call was sent */
    /**
     * As a relay does on NOT_FOUND: registers the agent again after a jittered wait (uniform up to
     * one back-off step), backing off further while that fails, so a fleet that lost its storage
     * does not come back as one burst.
     */
    private void agentLost(int agent, long confirmedBefore, String how) {
        judgeAgent(agent, confirmedBefore, how);
        if (agentReRegistering.compareAndSet(agent, 0, 1)) {
            later(0, () -> reRegisterAgent(agent, 0));
        }
    }

    private void relayLost(int relay, long confirmedBefore, String how) {
        judge(confirmedBefore, relayTtlNanos, falseRelayExpiries, relayIds[relay], how);
        if (relayReRegistering.compareAndSet(relay, 0, 1)) {
            later(0, () -> reRegisterRelay(relay, 0));
        }
    }

    private void reRegisterAgent(int agent, int attempt) {
        if (!running) {
            agentReRegistering.set(agent, 0);
            return;
        }
        long sent = System.nanoTime();
        track(calls.registerAgent(RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId(agentIds[agent]))
                .setRelayId(relayIds[agent / settings.agentsPerRelay()]).build()), response -> {
                    epochOf.set(agent, response.getEpoch());
                    agentRenewedAt.accumulateAndGet(agent, sent, Math::max);
                    reRegistrations.increment();
                    placed(agent, sent);
                    agentReRegistering.set(agent, 0);
                }, failure -> {
                    failed(failure);
                    // Also NOT_FOUND: the relay itself may not be registered again yet.
                    later(attempt + 1, () -> reRegisterAgent(agent, attempt + 1));
                });
    }

    private void reRegisterRelay(int relay, int attempt) {
        if (!running) {
            relayReRegistering.set(relay, 0);
            return;
        }
        long sent = System.nanoTime();
        track(registerRelay(relay), response -> {
            relayRenewedAt.accumulateAndGet(relay, sent, Math::max);
            relayReRegisteredAt.accumulateAndGet(relay, sent, Math::max);
            relayReRegistering.set(relay, 0);
        }, failure -> {
            failed(failure);
            later(attempt + 1, () -> reRegisterRelay(relay, attempt + 1));
        });
    }

    /** Runs {@code task} after a wait drawn uniformly from zero to the back-off of {@code attempt} (full jitter). */
    private void later(int attempt, Runnable task) {
        long step = Math.min(REREGISTER_BACKOFF_CAP_NANOS, REREGISTER_BACKOFF_NANOS << Math.min(attempt, 20));
        try {
            timers.schedule(task, ThreadLocalRandom.current().nextLong(step + 1), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the run is over
        }
    }

    /**
     * Counts a reported expiry as false when the last good renewal was sent less than a TTL before
     * now; one of an entry never registered yet (a lookup racing its first registration) is neither.
     */
    /**
     * An agent's placement is live only while the relay incarnation it was placed on is: when the
     * relay's last good renewal is older than the relay TTL (its heartbeats were skipped or late),
     * or the relay was registered again after it was lost since the agent's last renewal (a new
     * incarnation, without the old one's placements), the agent's loss is expected.
     */
    private void judgeAgent(int agent, long confirmedBefore, String how) {
        int relay = agent / settings.agentsPerRelay();
        long relayRenewed = relayRenewedAt.get(relay);
        if ((relayRenewed != 0 && System.nanoTime() - relayRenewed >= relayTtlNanos) || relayReRegisteredAt.get(relay) > confirmedBefore) {
            windowFailures.increment();
            expectedExpiries.increment();
            return;
        }
        judge(confirmedBefore, agentTtlNanos, falseExpiries, agentIds[agent], how);
    }

    private void judge(long renewedAt, long ttlNanos, LongAdder falseCounter, String id, String how) {
        windowFailures.increment();
        if (renewedAt == 0) {
            return;
        }
        // A renewal sent before the restarted storage answered may have reached the old one just before it stopped.
        if (storageStoppedAt != 0 && (storageBackAt == 0 || renewedAt < storageBackAt)) {
            lostWithStorage.increment();
            return;
        }
        long now = System.nanoTime();
        if (now - renewedAt < ttlNanos) {
            falseCounter.increment();
            if (examples.size() < MAX_EXAMPLES) {
                examples.add(String.format("%s: %s %.1f s after its last good renewal was sent", id, how, (now - renewedAt) / 1e9));
            }
        } else {
            expectedExpiries.increment();
        }
    }

    private void registerAgent(int agent) {
        long sent = System.nanoTime();
        ListenableFuture<RegisterAgentResponse> call = calls.registerAgent(RegisterAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setAgentId(agentIds[agent])).setRelayId(relayIds[agent / settings.agentsPerRelay()]).build());
        track(call, response -> {
            epochOf.set(agent, response.getEpoch());
            agentRenewedAt.accumulateAndGet(agent, sent, Math::max);
            agentsRegistered.increment();
        }, this::failed);
    }

    private ListenableFuture<RegisterRelayResponse> registerRelay(int relay) {
        return calls.registerRelay(RegisterRelayRequest.newBuilder().setRelay(Relay.newBuilder()
                .setRelayId(relayIds[relay]).setAddress("10.1." + (relay / 250) + "." + (relay % 250 + 1)).setGrpcPort(7443)
                .putLabels("region", "eu-west")).build());
    }

    private static boolean isExpiry(Throwable failure) {
        Status.Code code = Outcomes.code(failure);
        return code == Status.Code.NOT_FOUND || code == Status.Code.FAILED_PRECONDITION;
    }

    private interface OnSuccess<T> {
        void accept(T response);
    }

    private interface OnFailure {
        void accept(Throwable failure);
    }

    private boolean admitted() {
        if (inFlight.get() >= MAX_IN_FLIGHT) {
            notSent.increment();
            return false;
        }
        return true;
    }

    private <T> void track(ListenableFuture<T> call, OnSuccess<T> success, OnFailure failure) {
        inFlight.incrementAndGet();
        call.addListener(() -> {
            try {
                success.accept(call.get());
            } catch (ExecutionException e) {
                failure.accept(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        }, MoreExecutors.directExecutor());
    }
}
