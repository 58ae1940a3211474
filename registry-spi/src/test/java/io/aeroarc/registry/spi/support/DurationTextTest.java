package io.aeroarc.registry.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationTextTest {

    @Test
    void whole_numbers_with_units_add_up() {
        assertThat(DurationText.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationText.parse("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(DurationText.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(DurationText.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationText.parse("0")).isEqualTo(Duration.ZERO);
    }

    @Test
    void anything_else_is_refused_with_the_units_it_takes() {
        assertThatThrownBy(() -> DurationText.parse("2")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> DurationText.parse("1.5s")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DurationText.parse("-1s")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DurationText.parse("3d")).hasMessageContaining("use ms, s, m or h");
        assertThatThrownBy(() -> DurationText.parse("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void format_gives_the_shortest_text_that_parses_back() {
        for (Duration duration : new Duration[] {Duration.ZERO, Duration.ofMillis(250), Duration.ofMillis(1500), Duration.ofSeconds(2),
                Duration.ofSeconds(90), Duration.ofMinutes(5), Duration.ofHours(24)}) {
            assertThat(DurationText.parse(DurationText.format(duration))).as(duration.toString()).isEqualTo(duration);
        }
        assertThat(DurationText.format(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(DurationText.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(DurationText.format(Duration.ofMinutes(2))).isEqualTo("2m");
    }
}
