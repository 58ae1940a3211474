package io.aeroarc.registry.core;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * Durations written the way the Go registry's flags take them ({@code 500ms}, {@code 30s},
 * {@code 1m30s}, {@code 1.5h}), so operators can keep their command lines when they switch.
 */
public final class GoDurations {

    private GoDurations() {}

    /**
     * Parses a non-negative Go duration: a sequence of decimal numbers each followed by one of the
     * units ns, us (or µs), ms, s, m, h; or a plain {@code 0}.
     *
     * @throws IllegalArgumentException with a one-line reason, such as "missing unit (use ns, us,
     *     ms, s, m or h)", when the text is not such a duration
     */
    public static Duration parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty (use a form like 500ms, 30s or 1m30s)");
        }
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        BigDecimal nanos = BigDecimal.ZERO;
        int i = 0;
        while (i < text.length()) {
            int numberStart = i;
            while (i < text.length() && (Character.isDigit(text.charAt(i)) || text.charAt(i) == '.')) {
                i++;
            }
            int unitStart = i;
            while (i < text.length() && !Character.isDigit(text.charAt(i)) && text.charAt(i) != '.') {
                i++;
            }
            String number = text.substring(numberStart, unitStart);
            String unit = text.substring(unitStart, i);
            if (number.isEmpty() || number.equals(".") || number.indexOf('.') != number.lastIndexOf('.')) {
                throw new IllegalArgumentException("not a duration (use a form like 500ms, 30s or 1m30s)");
            }
            nanos = nanos.add(new BigDecimal(number).multiply(BigDecimal.valueOf(nanosPerUnit(unit))));
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /** Formats like Go's {@code time.Duration.String()} for whole milliseconds: 500ms, 30s, 1m30s, 2h0m0s. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1000) {
            return millis + "ms";
        }
        long hours = millis / 3_600_000;
        long minutes = millis / 60_000 % 60;
        long seconds = millis / 1000 % 60;
        long fraction = millis % 1000;
        String secondsText = fraction == 0 ? Long.toString(seconds) : seconds + "." + trimZeros(String.format("%03d", fraction));
        if (hours > 0) {
            return hours + "h" + minutes + "m" + secondsText + "s";
        }
        if (minutes > 0) {
            return minutes + "m" + secondsText + "s";
        }
        return secondsText + "s";
    }

    private static String trimZeros(String digits) {
        int end = digits.length();
        while (end > 1 && digits.charAt(end - 1) == '0') {
            end--;
        }
        return digits.substring(0, end);
    }

    private static long nanosPerUnit(String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "µs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException(
                    (unit.isEmpty() ? "missing unit" : "unknown unit '" + unit + "'") + " (use ns, us, ms, s, m or h)");
        };
    }
}
