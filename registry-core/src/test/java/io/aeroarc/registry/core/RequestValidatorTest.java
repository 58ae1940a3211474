package io.aeroarc.registry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestValidatorTest {

    @Test
    void ids_of_1_to_256_utf8_bytes_are_accepted() {
        assertThatCode(() -> RequestValidator.requireId("relay_id", "r")).doesNotThrowAnyException();
        assertThatCode(() -> RequestValidator.requireId("relay_id", "a".repeat(256))).doesNotThrowAnyException();
        assertThatCode(() -> RequestValidator.requireId("relay_id", "é".repeat(128))).doesNotThrowAnyException();
        assertThatCode(() -> RequestValidator.requireId("relay_id", "drone:eu-west/7_α")).doesNotThrowAnyException();
    }

    @Test
    void an_empty_id_is_required() {
        assertInvalid(() -> RequestValidator.requireId("agent.agent_id", ""), "agent.agent_id: required");
    }

    @Test
    void an_id_longer_than_256_bytes_is_refused_counting_utf8_bytes_not_chars() {
        assertInvalid(() -> RequestValidator.requireId("relay_id", "a".repeat(257)), "relay_id: at most 256 bytes of UTF-8, was 257");
        assertInvalid(() -> RequestValidator.requireId("relay_id", "é".repeat(129)), "relay_id: at most 256 bytes of UTF-8, was 258");
        assertInvalid(() -> RequestValidator.requireId("relay_id", "😀".repeat(65)), "relay_id: at most 256 bytes of UTF-8, was 260");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "a\u00a0b", "a\u2003b", " a", "a\u3000"})
    void ids_with_whitespace_are_refused(String id) {
        assertInvalid(() -> RequestValidator.requireId("relay_id", id), "relay_id: must not contain whitespace");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u0000b", "a\tb", "a\nb", "a\u0007", "\u007f", "a\u0085b"})
    void ids_with_control_characters_are_refused(String id) {
        assertInvalid(() -> RequestValidator.requireId("relay_id", id), "relay_id: must not contain control characters");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u200bb", "a\u202eb", "\ufeffa", "a\u2066b", "a\u00adb"})
    void ids_with_format_characters_are_refused_so_look_alikes_cannot_coexist(String id) {
        assertThatThrownBy(() -> RequestValidator.requireId("relay_id", id)).isInstanceOf(RegistryException.class)
                .hasMessageStartingWith("relay_id: must not contain format characters");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\uffffb", "a\ufffe", "\ufdd0", "a\ud83f\udfff"})
    void ids_with_noncharacters_are_refused(String id) {
        assertThatThrownBy(() -> RequestValidator.requireId("relay_id", id)).isInstanceOf(RegistryException.class)
                .hasMessageStartingWith("relay_id: must not contain noncharacters");
    }

    @Test
    void ids_must_be_nfc_and_are_then_compared_byte_for_byte() {
        assertThatCode(() -> RequestValidator.requireId("agent_id", "caf\u00e9")).doesNotThrowAnyException();
        assertInvalid(() -> RequestValidator.requireId("agent_id", "cafe\u0301"), "agent_id: must be in Unicode normalization form C (NFC)");
    }

    @Test
    void an_optional_id_may_be_empty_but_not_malformed() {
        assertThatCode(() -> RequestValidator.requireOptionalId("relay_id", "")).doesNotThrowAnyException();
        assertInvalid(() -> RequestValidator.requireOptionalId("relay_id", "a b"), "relay_id: must not contain whitespace");
    }

    @Test
    void addresses_are_1_to_255_bytes() {
        assertThatCode(() -> RequestValidator.requireAddress("relay.address", "10.0.0.1")).doesNotThrowAnyException();
        assertThatCode(() -> RequestValidator.requireAddress("relay.address", "[::1]")).doesNotThrowAnyException();
        assertInvalid(() -> RequestValidator.requireAddress("relay.address", ""), "relay.address: required");
        assertInvalid(() -> RequestValidator.requireAddress("relay.address", "h".repeat(256)),
                "relay.address: at most 255 bytes of UTF-8, was 256");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 65536, Integer.MIN_VALUE})
    void ports_outside_1_to_65535_are_refused(int port) {
        assertInvalid(() -> RequestValidator.requirePort("relay.grpc_port", port),
                "relay.grpc_port: must be a port from 1 to 65535, was " + port);
    }

    @Test
    void ports_1_and_65535_are_accepted() {
        assertThatCode(() -> RequestValidator.requirePort("relay.grpc_port", 1)).doesNotThrowAnyException();
        assertThatCode(() -> RequestValidator.requirePort("relay.grpc_port", 65535)).doesNotThrowAnyException();
    }

    @Test
    void labels_are_limited_in_count_and_size() {
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 32; i++) {
            many.put("k" + i, "v");
        }
        assertThatCode(() -> RequestValidator.requireLabels("relay.labels", many)).doesNotThrowAnyException();
        many.put("one-more", "v");
        assertInvalid(() -> RequestValidator.requireLabels("relay.labels", many), "relay.labels: at most 32 labels, was 33");

        assertThatCode(() -> RequestValidator.requireLabels("relay.labels", Map.of("k".repeat(63), "v".repeat(256), "empty", "")))
                .doesNotThrowAnyException();
        assertInvalid(() -> RequestValidator.requireLabels("relay.labels", Map.of("k".repeat(64), "v")),
                "relay.labels key '" + "k".repeat(64) + "': at most 63 bytes of UTF-8, was 64");
        assertInvalid(() -> RequestValidator.requireLabels("relay.labels", Map.of("", "v")), "relay.labels key '': required");
        assertInvalid(() -> RequestValidator.requireLabels("relay.labels", Map.of("region", "v".repeat(257))),
                "relay.labels[region]: at most 256 bytes of UTF-8");
        assertInvalid(() -> RequestValidator.requireLabels("relay.labels", Map.of("region", "eu\nwest")),
                "relay.labels[region]: must not contain control characters");
        assertInvalid(() -> RequestValidator.requireLabels("label_selector", Map.of("a key", "v")),
                "label_selector key 'a key': must not contain whitespace");
    }

    @Test
    void batches_hold_at_most_1000_valid_ids_and_drop_duplicates_in_order() {
        assertThat(RequestValidator.requireDistinctIds("agent_ids", List.of("b", "a", "b", "c", "a"))).containsExactly("b", "a", "c");
        assertThat(RequestValidator.requireDistinctIds("agent_ids", List.of())).isEmpty();
        List<String> thousand = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "agent-" + i).toList();
        assertThat(RequestValidator.requireDistinctIds("agent_ids", thousand)).hasSize(1000);

        List<String> tooMany = java.util.stream.IntStream.range(0, 1001).mapToObj(i -> "agent-" + i).toList();
        assertInvalid(() -> RequestValidator.requireDistinctIds("agent_ids", tooMany), "agent_ids: at most 1000 ids per call, was 1001");
        assertInvalid(() -> RequestValidator.requireDistinctIds("agent_ids", List.of("ok", "not ok")),
                "agent_ids[1]: must not contain whitespace");
    }

    @Test
    void page_sizes_must_not_be_negative() {
        assertThatCode(() -> RequestValidator.requirePageSize("page_size", 0)).doesNotThrowAnyException();
        assertInvalid(() -> RequestValidator.requirePageSize("page_size", -1), "page_size: must not be negative, was -1");
    }

    private static void assertInvalid(Runnable call, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(RegistryException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
            assertThat(e.getMessage()).isEqualTo(message);
        });
    }
}
