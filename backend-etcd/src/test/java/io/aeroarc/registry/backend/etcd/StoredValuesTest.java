package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import java.net.URLEncoder;
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
    void values_are_encoded_exactly_as_url_encoding_does_so_older_and_newer_registries_read_each_other() {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String text : new String[] {"relay-0007", "a.b_c*D-9", "1764540000123", "with space", "plus+sign", "per%cent",
                "tilde~", "slash/", "ü", "", "=&"}) {
            fields.put("f" + fields.size(), text);
        }
        StringBuilder expected = new StringBuilder();
        fields.forEach((name, value) -> expected.append(expected.length() == 0 ? "" : "&")
                .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8)));

        ByteSequence encoded = FieldCodec.encode(fields);

        assertThat(encoded.toString(StandardCharsets.UTF_8)).isEqualTo(expected.toString());
        assertThat(FieldCodec.decode(encoded)).containsExactlyEntriesOf(fields);
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
    void a_number_field_is_read_alone_wherever_it_stands_and_not_from_a_longer_name() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("xexpires", "7");
        fields.put("relay", "expires=5&");
        fields.put("expires", "1700000000123");
        ByteSequence placement = FieldCodec.encode(fields);

        assertThat(FieldCodec.longField(placement, "expires")).isEqualTo(1700000000123L);
        assertThat(FieldCodec.longField(FieldCodec.encode(Map.of("expires", "42")), "expires")).isEqualTo(42);
        assertThatThrownBy(() -> FieldCodec.longField(FieldCodec.encode(Map.of("xexpires", "7")), "expires"))
                .hasMessageContaining("missing field 'expires'");
        assertThatThrownBy(() -> FieldCodec.longField(FieldCodec.encode(Map.of("expires", "soon")), "expires"))
                .hasMessageContaining("not a number");
    }

    @Test
    void a_page_after_an_id_starts_at_the_next_possible_key() {
        KeyLayout keys = new KeyLayout("/n/");

        assertThat(keys.agentsAfter("").start().toString(StandardCharsets.UTF_8)).isEqualTo("/n/agents/");
        assertThat(keys.agentsAfter("agent-1").start().toString(StandardCharsets.UTF_8)).isEqualTo("/n/agents/agent-1\0");
        assertThat(keys.agentsAfter("agent-1").end().toString(StandardCharsets.UTF_8)).isEqualTo("/n/agents0");
    }
}
