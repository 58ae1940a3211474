package io.aeroarc.registry.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TargetCheckTest {

    @Test
    void at_least_says_by_how_much_a_figure_misses_or_clears_its_threshold() {
        TargetCheck missed = TargetCheck.atLeast("share", 0.72, 0.80, Targets::share, "");
        TargetCheck met = TargetCheck.atLeast("share", 0.90, 0.80, Targets::share, "");

        assertThat(missed.verdict()).isEqualTo(TargetCheck.Verdict.MISSED);
        assertThat(missed.margin()).isEqualTo("missed by 8.0% (10.0% short)");
        assertThat(met.verdict()).isEqualTo(TargetCheck.Verdict.MET);
        assertThat(met.margin()).isEqualTo("10.0% above (12.5%)");
    }

    @Test
    void at_most_treats_the_threshold_itself_as_met_and_a_zero_threshold_without_percentages() {
        assertThat(TargetCheck.atMost("p99", 2000, 2000, Targets::micros, "").verdict()).isEqualTo(TargetCheck.Verdict.MET);
        TargetCheck over = TargetCheck.atMost("p99", 3000, 2000, Targets::micros, "");
        assertThat(over.verdict()).isEqualTo(TargetCheck.Verdict.MISSED);
        assertThat(over.margin()).isEqualTo("missed by 1.00 ms (50.0% over)");
        TargetCheck falseExpiries = TargetCheck.atMost("false expiries", 3, 0, value -> String.format("%.0f", value), "");
        assertThat(falseExpiries.verdict()).isEqualTo(TargetCheck.Verdict.MISSED);
        assertThat(falseExpiries.margin()).isEqualTo("missed by 3");
    }

    @Test
    void a_figure_that_was_not_measured_is_neither_met_nor_missed() {
        assertThat(TargetCheck.atLeast("share", Double.NaN, 0.8, Targets::share, "max did not run").verdict())
                .isEqualTo(TargetCheck.Verdict.NOT_MEASURED);
    }
}
