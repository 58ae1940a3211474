package io.aeroarc.registry.core.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.core.watch.FleetEvent.PlacementEvent;
import io.aeroarc.registry.core.watch.FleetEvent.RelayEvent;
import io.aeroarc.registry.core.watch.FleetEvent.Type;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.feed.FleetChange;
import io.aeroarc.registry.spi.feed.RemovalReason;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How feed changes become watcher events, and how stale or repeated changes are dropped. */
class FleetViewTest {

    private final FleetView view = new FleetView();

    static RelayRecord relay(String id, long registeredAt, String address, Map<String, String> labels) {
        return new RelayRecord(id, address, 7000, labels, registeredAt, registeredAt, registeredAt + 30_000, 3);
    }

    static PlacementRecord placement(String agent, String relay, long epoch, long at) {
        return new PlacementRecord(agent, relay, epoch, at, at + 30_000);
    }

    static FleetChange.RelayUpserted relayUp(RelayRecord relay) {
        return new FleetChange.RelayUpserted("p", relay);
    }

    static FleetChange.PlacementUpserted placed(PlacementRecord placement) {
        return new FleetChange.PlacementUpserted("p", placement);
    }

    @Test
    void a_relay_is_added_updated_when_its_address_or_labels_change_and_not_for_a_repeat() {
        RelayRecord first = relay("r1", 1000, "10.0.0.1", Map.of("zone", "a"));
        assertThat(view.apply(relayUp(first))).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(Type.ADDED);
            assertThat(((RelayEvent) e).relay().agentCount()).as("counts are not kept").isZero();
        });
        assertThat(view.apply(relayUp(first))).as("the same relay again").isEmpty();
        RelayRecord moved = relay("r1", 1000, "10.0.0.2", Map.of("zone", "b"));
        assertThat(view.apply(relayUp(moved))).singleElement().satisfies(e -> {
            RelayEvent event = (RelayEvent) e;
            assertThat(event.type()).isEqualTo(Type.UPDATED);
            assertThat(event.previous().orElseThrow().labels()).containsEntry("zone", "a");
            assertThat(event.relay().address()).isEqualTo("10.0.0.2");
        });
        assertThat(view.apply(relayUp(relay("r1", 500, "10.0.0.9", Map.of())))).as("an older incarnation").isEmpty();
    }

    @Test
    void placements_are_added_moved_by_epoch_and_stale_epochs_are_dropped() {
        assertThat(view.apply(placed(placement("a1", "r1", 5, 100)))).singleElement().extracting(FleetEvent::type).isEqualTo(Type.ADDED);
        assertThat(view.apply(placed(placement("a1", "r1", 5, 100)))).as("repeat").isEmpty();
        assertThat(view.apply(placed(placement("a1", "r1", 4, 90)))).as("older epoch").isEmpty();
        assertThat(view.apply(placed(placement("a1", "r2", 6, 200)))).singleElement().satisfies(e -> {
            PlacementEvent event = (PlacementEvent) e;
            assertThat(event.type()).isEqualTo(Type.MOVED);
            assertThat(event.previousRelayId()).contains("r1");
            assertThat(event.placement().relayId()).isEqualTo("r2");
            assertThat(event.placement().epoch()).isEqualTo(6);
            assertThat(event.atMs()).isEqualTo(200);
        });
        assertThat(view.apply(new FleetChange.PlacementRemoved("p", "a1", "r1", 5, RemovalReason.DEREGISTERED, 300)))
                .as("the end of the older epoch").isEmpty();
        assertThat(view.apply(new FleetChange.PlacementRemoved("p", "a1", "r2", 6, RemovalReason.EXPIRED, 400))).singleElement()
                .satisfies(e -> {
                    assertThat(e.type()).isEqualTo(Type.REMOVED);
                    assertThat(((PlacementEvent) e).reason()).contains(RemovalReason.EXPIRED);
                    assertThat(e.atMs()).isEqualTo(400);
                });
        assertThat(view.apply(new FleetChange.PlacementRemoved("p", "a1", "r2", 6, RemovalReason.EXPIRED, 400))).as("repeat").isEmpty();
    }

    @Test
    void a_relays_end_ends_its_placements_as_relay_gone_once() {
        view.apply(relayUp(relay("r1", 1000, "10.0.0.1", Map.of())));
        view.apply(relayUp(relay("r2", 1000, "10.0.0.2", Map.of())));
        view.apply(placed(placement("a1", "r1", 1, 1)));
        view.apply(placed(placement("a2", "r1", 2, 1)));
        view.apply(placed(placement("a3", "r2", 3, 1)));

        List<FleetEvent> events = view.apply(new FleetChange.RelayRemoved("p", "r1", 1000, RemovalReason.EXPIRED, 31_000));

        assertThat(events).hasSize(3);
        assertThat(events.subList(0, 2)).allSatisfy(e -> {
            assertThat(e.type()).isEqualTo(Type.REMOVED);
            assertThat(((PlacementEvent) e).reason()).contains(RemovalReason.RELAY_GONE);
        }).extracting(e -> ((PlacementEvent) e).placement().agentId()).containsExactlyInAnyOrder("a1", "a2");
        assertThat(events.get(2)).isInstanceOfSatisfying(RelayEvent.class, e -> assertThat(e.reason()).contains(RemovalReason.EXPIRED));
        assertThat(view.apply(new FleetChange.PlacementRemoved("p", "a1", "r1", 1, RemovalReason.RELAY_GONE, 31_000)))
                .as("the backend's own RELAY_GONE after the relay's end").isEmpty();
        assertThat(view.placements(p -> true)).extracting(PlacementRecord::agentId).containsExactly("a3");
    }

    @Test
    void the_late_end_of_an_older_incarnation_leaves_the_new_one() {
        view.apply(relayUp(relay("r1", 2000, "10.0.0.1", Map.of())));
        assertThat(view.apply(new FleetChange.RelayRemoved("p", "r1", 1000, RemovalReason.EXPIRED, 1500))).isEmpty();
        assertThat(view.relay("r1")).isPresent();
    }

    @Test
    void the_difference_to_a_new_listing_reports_every_change_with_inferred_reasons() {
        view.put(relay("r1", 1000, "10.0.0.1", Map.of()));
        view.put(relay("r2", 1000, "10.0.0.2", Map.of()));
        view.put(placement("stays", "r1", 1, 1));
        view.put(placement("moves", "r1", 2, 1));
        view.put(placement("ends", "r1", 3, 1));
        view.put(placement("gone-with-r2", "r2", 4, 1));
        FleetView fresh = new FleetView();
        fresh.put(relay("r1", 1000, "10.0.0.1", Map.of()));
        fresh.put(relay("r3", 5000, "10.0.0.3", Map.of()));
        fresh.put(placement("stays", "r1", 1, 1));
        fresh.put(placement("moves", "r3", 7, 6000));
        fresh.put(placement("new", "r3", 8, 6000));

        List<FleetEvent> events = view.diffTo(fresh, 9000);

        assertThat(events).extracting(FleetViewTest::describe).containsExactlyInAnyOrder(
                "relay ADDED r3", "placement MOVED moves r1->r3", "placement ADDED new", "placement REMOVED ends EXPIRED",
                "placement REMOVED gone-with-r2 RELAY_GONE", "relay REMOVED r2 EXPIRED");
        assertThat(events).allSatisfy(e -> assertThat(e.atMs()).isEqualTo(9000));
    }

    static String describe(FleetEvent event) {
        if (event instanceof RelayEvent r) {
            return "relay " + r.type() + " " + r.relay().relayId() + r.reason().map(x -> " " + x).orElse("");
        }
        PlacementEvent p = (PlacementEvent) event;
        return "placement " + p.type() + " " + p.placement().agentId()
                + p.previousRelayId().map(prev -> " " + prev + "->" + p.placement().relayId()).orElse("")
                + p.reason().map(x -> " " + x).orElse("");
    }

    @Test
    void events_ring_keeps_the_last_and_tells_when_a_cursor_fell_out() {
        EventRing ring = new EventRing(3);
        for (int i = 0; i < 5; i++) {
            ring.append(RelayEvent.added(relay("r" + i, i, "a", Map.of()), i));
        }
        assertThat(ring.last()).isEqualTo(5);
        assertThat(ring.holdsAfter(1)).as("2 was overwritten").isFalse();
        assertThat(ring.holdsAfter(2)).isTrue();
        assertThat(ring.holdsAfter(6)).as("not yet").isFalse();
        List<FleetEvent> read = new java.util.ArrayList<>();
        ring.read(2, 10, read);
        assertThat(read).extracting(e -> ((RelayEvent) e).relay().relayId()).containsExactly("r2", "r3", "r4");
    }

    @Test
    void resume_tokens_round_trip_and_garbage_is_no_token() {
        ResumeToken token = new ResumeToken(-42, 1234567);
        assertThat(ResumeToken.decode(token.encode())).contains(token);
        assertThat(ResumeToken.decode("not a token!")).isEmpty();
        assertThat(ResumeToken.decode("")).isEmpty();
        assertThat(ResumeToken.decode("AAAA")).isEmpty();
        assertThat(Optional.of(token.encode())).hasValueSatisfying(t -> assertThat(t).matches("[A-Za-z0-9_-]{22}"));
    }
}
