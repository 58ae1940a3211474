package io.aeroarc.registry.spi.feed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChangeRingTest {

    private static FleetChange removal(ChangeRing ring, String relayId) {
        return new FleetChange.RelayRemoved(ring.nextPosition(), relayId, 1, RemovalReason.DEREGISTERED, 2);
    }

    private static void appendRemovals(ChangeRing ring, int count) {
        for (int i = 0; i < count; i++) {
            ring.append(removal(ring, "relay-" + (ring.lastSeq() + 1)));
        }
    }

    private static List<String> relayIds(List<FleetChange> changes) {
        return changes.stream().map(change -> ((FleetChange.RelayRemoved) change).relayId()).toList();
    }

    @Test
    void positions_carry_the_ring_id_and_the_sequence_number() {
        ChangeRing ring = new ChangeRing(3);
        assertThat(ring.lastSeq()).isZero();
        assertThat(ring.nextPosition()).isEqualTo(ring.id() + ":1");
        appendRemovals(ring, 2);
        assertThat(ring.lastSeq()).isEqualTo(2);
        assertThat(ring.nextPosition()).isEqualTo(ring.position(3)).isEqualTo(ring.id() + ":3");
        assertThat(new ChangeRing(3).id()).isNotEqualTo(ring.id());
    }

    @Test
    void hands_out_the_changes_after_a_sequence_number_in_order_and_at_most_max() {
        ChangeRing ring = new ChangeRing(10);
        appendRemovals(ring, 5);
        assertThat(relayIds(ring.after(0, 100))).containsExactly("relay-1", "relay-2", "relay-3", "relay-4", "relay-5");
        assertThat(relayIds(ring.after(2, 2))).containsExactly("relay-3", "relay-4");
        assertThat(ring.after(5, 100)).isEmpty();
        assertThat(ring.after(0, 100).get(2).position()).isEqualTo(ring.position(3));
    }

    @Test
    void keeps_only_the_last_capacity_changes_once_it_wraps() {
        ChangeRing ring = new ChangeRing(3);
        appendRemovals(ring, 7);
        assertThat(ring.oldestKeptSeq()).isEqualTo(5);
        assertThat(ring.keepsAfter(4)).isTrue();
        assertThat(ring.keepsAfter(3)).isFalse();
        assertThat(ring.keepsAfter(8)).as("ahead of the last change").isFalse();
        assertThat(relayIds(ring.after(4, 100))).containsExactly("relay-5", "relay-6", "relay-7");
        assertThatThrownBy(() -> ring.after(3, 100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void resumes_a_kept_position_of_its_own_and_refuses_any_other() {
        ChangeRing ring = new ChangeRing(3);
        appendRemovals(ring, 5);
        assertThat(ring.resumableSeq(ring.position(5))).isEqualTo(5);
        assertThat(ring.resumableSeq(ring.position(2))).as("every change after it is kept").isEqualTo(2);
        assertThat(ring.resumableSeq(ring.position(1))).as("change 2 was dropped").isEqualTo(-1);
        assertThat(ring.resumableSeq(ring.position(6))).as("not written yet").isEqualTo(-1);
        assertThat(ring.resumableSeq(new ChangeRing(3).position(5))).as("another ring's").isEqualTo(-1);
        assertThat(ring.resumableSeq(ring.id() + ":x")).isEqualTo(-1);
        assertThat(ring.resumableSeq(ring.id())).isEqualTo(-1);
        assertThat(ring.resumableSeq(":5")).isEqualTo(-1);
        assertThat(ring.resumableSeq("")).isEqualTo(-1);
    }

    @Test
    void an_empty_ring_resumes_from_its_start_only() {
        ChangeRing ring = new ChangeRing(3);
        assertThat(ring.resumableSeq(ring.position(0))).isZero();
        assertThat(ring.after(0, 10)).isEmpty();
        assertThatThrownBy(() -> new ChangeRing(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
