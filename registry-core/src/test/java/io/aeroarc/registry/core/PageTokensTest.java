package io.aeroarc.registry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PageTokensTest {

    @Test
    void a_token_carries_the_last_id_of_its_list() {
        String token = PageTokens.encode("agents", "drone:7/ü");
        assertThat(token).doesNotContain("drone");
        assertThat(PageTokens.decode("page_token", "agents", token)).isEqualTo("drone:7/ü");
    }

    @Test
    void an_empty_token_starts_at_the_beginning() {
        assertThat(PageTokens.decode("page_token", "agents", "")).isEmpty();
    }

    @Test
    void a_token_of_another_list_or_garbage_is_invalid_and_names_the_field() {
        String relayToken = PageTokens.encode("relays", "relay-1");
        for (String bad : new String[] {relayToken, "not base64 !", "djE6YWdlbnRzOg", "Zm9v"}) {
            assertThatThrownBy(() -> PageTokens.decode("page_token", "agents", bad)).isInstanceOfSatisfying(RegistryException.class, e -> {
                assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT);
                assertThat(e.getMessage()).isEqualTo("page_token: not a page token of this list");
            });
        }
    }
}
