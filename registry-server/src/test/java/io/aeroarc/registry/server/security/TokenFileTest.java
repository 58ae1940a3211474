package io.aeroarc.registry.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {

    @Test
    void tokens_are_found_by_hash_and_changes_apply_without_restart(@TempDir Path dir) throws Exception {
        Path path = Files.writeString(dir.resolve("tokens"), "# fleet\n\n" + TokenFile.hashOf("t-one") + " relay spiffe://fleet/relay/r1\n"
                + TokenFile.hashOf("t-two").toUpperCase().replace("SHA256", "sha256") + "\treader  dashboard\n");
        try (TokenFile tokens = TokenFile.watch(path)) {
            assertThat(tokens.holderOf("t-one")).contains(new TokenFile.Holder(Role.RELAY, "spiffe://fleet/relay/r1"));
            assertThat(tokens.holderOf("t-two")).contains(new TokenFile.Holder(Role.READER, "dashboard"));
            assertThat(tokens.holderOf("t-three")).isEmpty();

            Files.writeString(path, TokenFile.hashOf("t-two") + " reader dashboard\n");
            await().atMost(Duration.ofSeconds(2)).until(() -> tokens.holderOf("t-one").isEmpty());

            // A broken edit keeps the tokens in force rather than locking everyone out.
            Files.writeString(path, "t-two reader dashboard\n");
            tokens.reloadIfChanged();
            assertThat(tokens.holderOf("t-two")).isPresent();
        }
    }

    @Test
    void a_malformed_line_is_refused_at_start_without_echoing_it(@TempDir Path dir) throws Exception {
        Path path = Files.writeString(dir.resolve("tokens"), TokenFile.hashOf("a") + " admin ops\nplaintext-secret-token admin ops\n");
        assertThatThrownBy(() -> TokenFile.watch(path))
                .hasMessage("--auth-token-file " + path + " line 2: expected 'sha256:<64 hex digits> <role> <identity>'")
                .message().doesNotContain("plaintext-secret-token");
        Path twice = Files.writeString(dir.resolve("twice"), TokenFile.hashOf("a") + " admin ops\n" + TokenFile.hashOf("a") + " reader x\n");
        assertThatThrownBy(() -> TokenFile.watch(twice)).hasMessageEndingWith("line 2: the same token hash is listed twice");
        Path badRole = Files.writeString(dir.resolve("role"), TokenFile.hashOf("a") + " owner ops\n");
        assertThatThrownBy(() -> TokenFile.watch(badRole)).hasMessageEndingWith("line 1: unknown role 'owner': expected relay, reader or admin");
    }
}
