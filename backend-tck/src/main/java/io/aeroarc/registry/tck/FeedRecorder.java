package io.aeroarc.registry.tck;

import io.aeroarc.registry.spi.BackendUnavailableException;
import io.aeroarc.registry.spi.feed.FeedListener;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A listener that keeps everything a subscription reported, with the wall-clock time each change
 * arrived, for the change-feed rules to assert on. Thread-safe.
 */
final class FeedRecorder implements FeedListener {

    /** One change as it arrived. */
    record Received(FleetChange change, long receivedAtMs) {}

    private final List<Received> received = new ArrayList<>();
    private final List<String> gaps = new ArrayList<>();
    private final List<BackendUnavailableException> failures = new ArrayList<>();
    private int calls;
    private boolean concurrentCall;
    private int inCall;

    @Override
    public void onChanges(List<FleetChange> changes) {
        enter();
        try {
            long now = System.currentTimeMillis();
            synchronized (this) {
                calls++;
                for (FleetChange change : changes) {
                    received.add(new Received(change, now));
                }
            }
        } finally {
            leave();
        }
    }

    @Override
    public void onGap(String why) {
        enter();
        try {
            synchronized (this) {
                calls++;
                gaps.add(why);
            }
        } finally {
            leave();
        }
    }

    @Override
    public void onFailure(BackendUnavailableException cause) {
        enter();
        try {
            synchronized (this) {
                calls++;
                failures.add(cause);
            }
        } finally {
            leave();
        }
    }

    private synchronized void enter() {
        if (inCall > 0) {
            concurrentCall = true;
        }
        inCall++;
    }

    private synchronized void leave() {
        inCall--;
    }

    synchronized List<Received> received() {
        return List.copyOf(received);
    }

    synchronized List<FleetChange> changes() {
        return received.stream().map(Received::change).toList();
    }

    synchronized List<String> gaps() {
        return List.copyOf(gaps);
    }

    synchronized List<BackendUnavailableException> failures() {
        return List.copyOf(failures);
    }

    synchronized int calls() {
        return calls;
    }

    /** Whether the feed ever called this listener from two threads at once. */
    synchronized boolean calledConcurrently() {
        return concurrentCall;
    }

    /** The position of the last change received, or null. */
    synchronized String lastPosition() {
        return received.isEmpty() ? null : received.get(received.size() - 1).change().position();
    }

    /**
     * The changes in words, leaving out {@link RemovalReason#RELAY_GONE} removals (a backend may
     * report them or leave them implied): what the rules compare.
     */
    synchronized List<String> described() {
        return received.stream().map(Received::change)
                .filter(change -> !isRelayGone(change)).map(FeedRecorder::describe).toList();
    }

    static boolean isRelayGone(FleetChange change) {
        return change instanceof FleetChange.PlacementRemoved removed && removed.reason() == RemovalReason.RELAY_GONE;
    }

    /** A change in words, without its position: what a reader sees. */
    static String describe(FleetChange change) {
        if (change instanceof FleetChange.RelayUpserted upserted) {
            return "relay+ " + upserted.relay().relayId() + " at " + upserted.relay().address() + ":" + upserted.relay().grpcPort()
                    + " " + new TreeMap<>(upserted.relay().labels());
        }
        if (change instanceof FleetChange.RelayRemoved removed) {
            return "relay- " + removed.relayId() + " " + removed.reason();
        }
        if (change instanceof FleetChange.PlacementUpserted upserted) {
            return "placement+ " + upserted.placement().agentId() + " on " + upserted.placement().relayId() + " epoch "
                    + upserted.placement().epoch();
        }
        FleetChange.PlacementRemoved removed = (FleetChange.PlacementRemoved) change;
        return "placement- " + removed.agentId() + " from " + removed.relayId() + " epoch " + removed.epoch() + " " + removed.reason();
    }

    static String relayUpserted(String relayId, String address, int port, Map<String, String> labels) {
        return "relay+ " + relayId + " at " + address + ":" + port + " " + new TreeMap<>(labels);
    }

    @Override
    public synchronized String toString() {
        return "reported " + described() + (gaps.isEmpty() ? "" : ", gaps " + gaps)
                + (failures.isEmpty() ? "" : ", failures " + failures);
    }
}
