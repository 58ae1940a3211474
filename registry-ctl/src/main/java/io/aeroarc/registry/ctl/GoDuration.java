package io.aeroarc.registry.ctl;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Durations written as the server's flags take them: {@code 500ms}, {@code 5s}, {@code 1m30s}. */
final class GoDuration implements CommandLine.ITypeConverter<Duration> {

    private static final Pattern WHOLE = Pattern.compile("(\\d{1,9}(ms|s|m|h))+");
    private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
        Duration total = Duration.ZERO;
        if (WHOLE.matcher(value).matches()) {
            Matcher part = PART.matcher(value);
            while (part.find()) {
                long amount = Long.parseLong(part.group(1));
                total = total.plus(switch (part.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    default -> Duration.ofHours(amount);
                });
            }
        }
        if (total.isZero()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a positive duration such as 500ms, 5s or 1m30s");
        }
        return total;
    }
}
