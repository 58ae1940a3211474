package io.aeroarc.registry.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * {@code --log-format json}: one JSON object per line with {@code time} (ISO-8601 UTC, ms),
 * {@code level}, {@code logger}, {@code thread}, {@code message}, then the event's key-value pairs
 * (such as {@code method}, {@code status}, {@code relay_id}, {@code agent_id}), its MDC entries,
 * and {@code exception} with the stack trace when there is one. A field never repeats one written
 * before it.
 */
public final class JsonLineLayout extends LayoutBase<ILoggingEvent> {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT;

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(256);
        line.append('{');
        field(line, "time", TIME.format(Instant.ofEpochMilli(event.getTimeStamp())), true);
        field(line, "level", event.getLevel().toString(), false);
        field(line, "logger", event.getLoggerName(), false);
        field(line, "thread", event.getThreadName(), false);
        field(line, "message", event.getFormattedMessage(), false);
        if (event.getKeyValuePairs() != null) {
            for (KeyValuePair pair : event.getKeyValuePairs()) {
                if (!isReserved(pair.key)) {
                    field(line, pair.key, pair.value, false);
                }
            }
        }
        for (Map.Entry<String, String> entry : event.getMDCPropertyMap().entrySet()) {
            if (!isReserved(entry.getKey())) {
                field(line, entry.getKey(), entry.getValue(), false);
            }
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            field(line, "exception", ThrowableProxyUtil.asString(thrown), false);
        }
        return line.append("}\n").toString();
    }

    private static boolean isReserved(String key) {
        return switch (key) {
            case "time", "level", "logger", "thread", "message", "exception" -> true;
            default -> false;
        };
    }

    /** Integers, finite doubles and booleans stay JSON numbers and booleans; everything else is a string. */
    private static void field(StringBuilder line, String name, Object value, boolean first) {
        if (!first) {
            line.append(',');
        }
        string(line, name);
        line.append(':');
        if (value instanceof Boolean || value instanceof Integer || value instanceof Long
                || (value instanceof Double d && Double.isFinite(d))) {
            line.append(value);
        } else {
            string(line, String.valueOf(value));
        }
    }

    private static void string(StringBuilder line, String text) {
        line.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append("\\t");
                default -> {
                    // Control characters, and U+2028/U+2029, which some JSON readers take as line ends.
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                        line.append(String.format("\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
                }
            }
        }
        line.append('"');
    }
}
