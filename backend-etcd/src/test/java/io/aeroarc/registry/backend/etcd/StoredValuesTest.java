package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The value encoding and the key layout, without a server. */
class StoredValuesTest {

    @Test
    void fields_survive_any_characters_and_stay_readable() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("address", "10.0.0.7");
        fields.put("label.team&name", "a=b&c=d%20 ü/?");
        fields.put("empty", "");

        ByteSequence encoded = FieldCodec.encode(fields);

        assertThat(FieldCodec.decode(encoded)).containsExactlyEntriesOf(fields);
        assertThat(encoded.toString(StandardCharsets.UTF_8)).startsWith("address=10.0.0.7&");
    }

    @Test
    void a_value_that_is_not_fields_is_refused() {
        assertThatThrownBy(() -> FieldCodec.decode(ByteSequence.from("no pairs here", StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FieldCodec.requiredLong(Map.of("port", "x"), "port")).hasMessageContaining("port");
        assertThatThrownBy(() -> FieldCodec.required(Map.of(), "address")).hasMessageContaining("address");
    }

    @Test
    void relay_ids_in_the_middle_of_a_key_are_escaped_so_one_relay_prefix_never_covers_another() {
        KeyLayout keys = new KeyLayout("/n/");

        String plain = keys.relayAgent("a", "inc1", "agent").toString(StandardCharsets.UTF_8);
        String slashed = keys.relayAgent("a/inc1", "inc2", "agent").toString(StandardCharsets.UTF_8);
        String percent = keys.relayAgent("a%2Finc1", "inc2", "agent").toString(StandardCharsets.UTF_8);

        assertThat(plain).isEqualTo("/n/relay-agents/a/inc1/agent");
        assertThat(slashed).isEqualTo("/n/relay-agents/a%2Finc1/inc2/agent").doesNotStartWith("/n/relay-agents/a/inc1/");
        assertThat(percent).isEqualTo("/n/relay-agents/a%252Finc1/inc2/agent").isNotEqualTo(slashed);
    }

    @Test
    void expiry_entries_sort_by_time_and_a_count_from_now_skips_the_expired() {
        KeyLayout keys = new KeyLayout("/n/");

        String early = keys.relayExpiry("r", "i", 999, "z").toString(StandardCharsets.UTF_8);
        String late = keys.relayExpiry("r", "i", 1000, "a").toString(StandardCharsets.UTF_8);
        KeyLayout.KeyRange fromLate = keys.relayExpiriesFrom("r", "i", 1000);

        assertThat(early).isEqualTo("/n/relay-expiries/r/i/0000000000000000999/z");
        assertThat(early).isLessThan(late);
        assertThat(fromLate.start().toString(StandardCharsets.UTF_8)).isGreaterThan(early).isLessThanOrEqualTo(late);
        assertThat(fromLate.end().toString(StandardCharsets.UTF_8)).isEqualTo("/n/relay-expiries/r/i0");
    }

    @Test
    void a_page_after_an_id_starts_at_the_next_possible_key() {
        KeyLayout keys = new KeyLayout("/n/");

        assertThat(keys.agentsAfter("").start().toString(StandardCharsets.UTF_8)).isEqualTo("/n/agents/");
        assertThat(keys.agentsAfter("agent-1").start().toString(StandardCharsets.UTF_8)).isEqualTo("/n/agents/agent-1\0");
        assertThat(keys.agentsAfter("agent-1").end().toString(StandardCharsets.UTF_8)).isEqualTo("/n/agents0");
    }
}
