package io.aeroarc.registry.spi.support;

import java.time.Duration;

/**
 * The duration syntax of backend options and of backends' messages: whole numbers, each followed by
 * a unit {@code ms}, {@code s}, {@code m} or {@code h}, such as {@code 500ms}, {@code 2s} or
 * {@code 1m30s}; or a plain {@code 0}. The registry's own flags take Go durations, a superset.
 */
public final class DurationText {

    private DurationText() {}

    /**
     * Parses a non-negative duration.
     *
     * @throws IllegalArgumentException when {@code text} is not one
     */
    public static Duration parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Duration total = Duration.ZERO;
        int position = 0;
        while (position < text.length()) {
            int digitsEnd = position;
            while (digitsEnd < text.length() && Character.isDigit(text.charAt(digitsEnd))) {
                digitsEnd++;
            }
            int unitEnd = digitsEnd;
            while (unitEnd < text.length() && Character.isLetter(text.charAt(unitEnd))) {
                unitEnd++;
            }
            if (digitsEnd == position || digitsEnd - position > 12 || unitEnd == digitsEnd) {
                throw new IllegalArgumentException("not a duration: '" + text + "'");
            }
            long amount = Long.parseLong(text.substring(position, digitsEnd));
            total = total.plus(unit(text.substring(digitsEnd, unitEnd), text).multipliedBy(amount));
            position = unitEnd;
        }
        return total;
    }

    /** The shortest text {@link #parse} reads back exactly: {@code 250ms}, {@code 2s}, {@code 90s}, {@code 5m}, {@code 1h}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis != 0 && millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis != 0 && millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private static Duration unit(String unit, String text) {
        return switch (unit) {
            case "ms" -> Duration.ofMillis(1);
            case "s" -> Duration.ofSeconds(1);
            case "m" -> Duration.ofMinutes(1);
            case "h" -> Duration.ofHours(1);
            default -> throw new IllegalArgumentException("unknown unit '" + unit + "' in '" + text + "' (use ms, s, m or h)");
        };
    }
}
