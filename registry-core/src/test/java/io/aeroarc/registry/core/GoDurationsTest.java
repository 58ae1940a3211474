package io.aeroarc.registry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationsTest {

    @ParameterizedTest
    @CsvSource({
        "0, 0",
        "500ms, 500000000",
        "30s, 30000000000",
        "1m30s, 90000000000",
        "1.5s, 1500000000",
        "2h, 7200000000000",
        "1h0m1s, 3601000000000",
        "1500us, 1500000",
        "1500µs, 1500000",
        "2000000ns, 2000000",
    })
    void parses_what_go_flags_accept(String text, long nanos) {
        assertThat(GoDurations.parse(text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "30", "s", "3x", "1.2.3s", "-1s", "1 s", ".s"})
    void refuses_anything_else_with_a_reason(String text) {
        assertThatThrownBy(() -> GoDurations.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(use ");
    }

    @ParameterizedTest
    @CsvSource({"250, 250ms", "1000, 1s", "30000, 30s", "90000, 1m30s", "1500, 1.5s", "7200000, 2h0m0s", "3601250, 1h0m1.25s"})
    void formats_like_go(long millis, String text) {
        assertThat(GoDurations.format(Duration.ofMillis(millis))).isEqualTo(text);
        assertThat(GoDurations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }
}
