package io.aeroarc.registry.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class FenceTest {

    @Test
    void no_fence_admits_any_placement() {
        assertThat(Fence.NONE.admits("relay-a", 7)).isTrue();
    }

    @Test
    void a_fence_admits_only_the_named_relay_and_epoch() {
        Fence fence = new Fence(Optional.of("relay-a"), 7);
        assertThat(fence.admits("relay-a", 7)).isTrue();
        assertThat(fence.admits("relay-b", 7)).isFalse();
        assertThat(fence.admits("relay-a", 8)).isFalse();
        assertThat(new Fence(Optional.of("relay-a"), 0).admits("relay-a", 8)).isTrue();
        assertThat(new Fence(Optional.empty(), 7).admits("relay-b", 7)).isTrue();
    }

    @Test
    void a_negative_epoch_is_refused() {
        assertThatThrownBy(() -> new Fence(Optional.empty(), -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
