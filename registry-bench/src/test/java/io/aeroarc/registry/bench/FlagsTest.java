package io.aeroarc.registry.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FlagsTest {

    @Test
    void values_switches_and_go_durations_are_read() {
        Flags flags = Flags.parse(List.of("--backend", "redis", "--quick", "--fleet-duration=90s", "--rate", "1_000"),
                Set.of("backend", "fleet-duration", "rate"), Set.of("quick", "no-jfr"));

        assertThat(flags.get("backend", "memory")).isEqualTo("redis");
        assertThat(flags.isOn("quick")).isTrue();
        assertThat(flags.isOn("no-jfr")).isFalse();
        assertThat(flags.getDuration("fleet-duration", Duration.ZERO)).isEqualTo(Duration.ofSeconds(90));
        assertThat(flags.getDouble("rate", 0)).isEqualTo(1000.0);
    }

    @Test
    void an_unknown_flag_or_a_missing_value_is_refused_with_its_name() {
        assertThatThrownBy(() -> Flags.parse(List.of("--bakend", "redis"), Set.of("backend"), Set.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--bakend").hasMessageContaining("--backend");
        assertThatThrownBy(() -> Flags.parse(List.of("--backend"), Set.of("backend"), Set.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--backend needs a value");
    }

    @Test
    void the_cli_answers_bad_flags_with_status_2() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int status = BenchCli.run(List.of("suite", "--backend", "nosuch"), System.out, new java.io.PrintStream(err, true));
        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("unknown --backend 'nosuch'", "memory", "redis");
    }
}
