package io.aeroarc.registry.server.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The audit trail, on logger {@value #LOGGER_NAME}, one line per event as {@code key="value"}
 * pairs: {@code event}, {@code who} (identity, or client address without authentication), {@code
 * auth} (mtls, token or none), {@code method}, the ids involved, and {@code outcome}. Events: an
 * agent moved to another relay ({@code agent-moved}, with both relays and epochs), a relay or agent
 * deregistered ({@code relay-deregistered}, {@code agent-deregistered}, with the status code as
 * outcome), and a call refused for its credentials or by the policy ({@code call-denied}).
 * Calls refused by the rate limiter are not audited line by line: a flood would drown the trail.
 */
final class AuditLog {

    static final String LOGGER_NAME = "io.aeroarc.registry.audit";

    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);

    private final boolean enabled;

    AuditLog(boolean enabled) {
        this.enabled = enabled;
    }

    boolean enabled() {
        return enabled;
    }

    /** @param pairs keys and values, alternating */
    void record(String event, String who, String auth, String method, String... pairs) {
        if (!enabled) {
            return;
        }
        StringBuilder line = new StringBuilder("event=").append(event);
        append(line, "who", who);
        append(line, "auth", auth);
        append(line, "method", method);
        // The same pairs as fields, for --log-format json; the text format shows the line only.
        LoggingEventBuilder entry = LOG.atInfo().addKeyValue("event", event).addKeyValue("who", who).addKeyValue("auth", auth)
                .addKeyValue("method", method);
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            append(line, pairs[i], pairs[i + 1]);
            entry = entry.addKeyValue(fieldName(pairs[i]), pairs[i + 1]);
        }
        entry.log(line.toString());
    }

    /** The common field names of structured logs: relay_id and agent_id rather than the line's relay and agent. */
    private static String fieldName(String key) {
        return switch (key) {
            case "relay" -> "relay_id";
            case "agent" -> "agent_id";
            case "outcome" -> "status";
            default -> key;
        };
    }

    private static void append(StringBuilder line, String key, String value) {
        line.append(' ').append(key).append("=\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                line.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                // Request fields of denied calls are not validated yet: no line breaks into the trail.
                line.append(String.format("\\u%04x", (int) c));
            } else {
                line.append(c);
            }
        }
        line.append('"');
    }
}
