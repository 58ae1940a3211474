package io.aeroarc.registry.bench;

import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * One target of the issue, checked against a figure of this run.
 *
 * @param margin how far above or below the threshold, in the target's unit and in percent
 * @param evidence what the run saw around the figure: the facts to start explaining a miss with
 */
record TargetCheck(String target, String measured, Verdict verdict, String margin, String evidence) {

    enum Verdict {
        MET, MISSED, NOT_MEASURED
    }

    static TargetCheck atLeast(String target, double value, double threshold, DoubleFunction<String> format, String evidence) {
        if (Double.isNaN(value)) {
            return notMeasured(target, evidence);
        }
        boolean met = value >= threshold;
        String margin = met
                ? format.apply(value - threshold) + " above (" + percent((value - threshold) / threshold) + ")"
                : "missed by " + format.apply(threshold - value) + " (" + percent((threshold - value) / threshold) + " short)";
        return new TargetCheck(target, format.apply(value), met ? Verdict.MET : Verdict.MISSED, margin, evidence);
    }

    static TargetCheck atMost(String target, double value, double threshold, DoubleFunction<String> format, String evidence) {
        if (Double.isNaN(value)) {
            return notMeasured(target, evidence);
        }
        boolean met = value <= threshold;
        String margin = met
                ? (threshold == 0 ? "-" : format.apply(threshold - value) + " to spare (" + percent((threshold - value) / threshold) + ")")
                : "missed by " + format.apply(value - threshold) + (threshold == 0 ? "" : " (" + percent((value - threshold) / threshold) + " over)");
        return new TargetCheck(target, format.apply(value), met ? Verdict.MET : Verdict.MISSED, margin, evidence);
    }

    static TargetCheck notMeasured(String target, String why) {
        return new TargetCheck(target, "-", Verdict.NOT_MEASURED, "-", why);
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", fraction * 100);
    }
}
