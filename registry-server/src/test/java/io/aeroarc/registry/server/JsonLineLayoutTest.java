package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

class JsonLineLayoutTest {

    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final JsonLineLayout layout = new JsonLineLayout();

    @Test
    void an_event_is_one_json_line_with_the_common_fields_and_its_key_value_pairs() {
        LoggingEvent event = new LoggingEvent("test", context.getLogger("io.aeroarc.registry.calls"), Level.WARN,
                "HeartbeatAgent {} from \"peer\"\nsecond line\u2028", null, new Object[] {"UNAVAILABLE"});
        event.setTimeStamp(1_700_000_000_123L);
        event.setKeyValuePairs(List.of(new KeyValuePair("status", "UNAVAILABLE"), new KeyValuePair("relay_id", "r-1"),
                new KeyValuePair("duration_ms", 12L), new KeyValuePair("message", "not a second message")));

        String line = layout.doLayout(event);

        assertThat(line).endsWith("}\n").doesNotContain("\u2028");
        assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n");
        JsonObject json = JsonParser.parseString(line).getAsJsonObject();
        assertThat(json.get("time").getAsString()).isEqualTo("2023-11-14T22:13:20.123Z");
        assertThat(json.get("level").getAsString()).isEqualTo("WARN");
        assertThat(json.get("logger").getAsString()).isEqualTo("io.aeroarc.registry.calls");
        assertThat(json.get("message").getAsString()).isEqualTo("HeartbeatAgent UNAVAILABLE from \"peer\"\nsecond line\u2028");
        assertThat(json.get("status").getAsString()).isEqualTo("UNAVAILABLE");
        assertThat(json.get("relay_id").getAsString()).isEqualTo("r-1");
        assertThat(json.get("duration_ms").getAsJsonPrimitive().isNumber()).isTrue();
        assertThat(json.has("exception")).isFalse();
    }

    @Test
    void an_exception_travels_as_one_field() {
        LoggingEvent event = new LoggingEvent("test", context.getLogger("x"), Level.ERROR, "failed", new IllegalStateException("boom"), null);
        JsonObject json = JsonParser.parseString(layout.doLayout(event)).getAsJsonObject();
        assertThat(json.get("exception").getAsString()).startsWith("java.lang.IllegalStateException: boom").contains("\tat ");
    }
}
