package io.aeroarc.registry.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyParserTest {

    @Test
    void identities_map_names_to_roles_and_relay_ids_first_match_wins() {
        Policy policy = PolicyParser.parse("""
                {"identities": [
                   {"match": "spiffe://fleet/relay/{relay_id}", "role": "relay"},
                   {"match": "*.api.fleet.internal", "role": "reader"},
                   {"match": "spiffe://fleet/*", "role": "admin"}],
                 "relays_may_read": true,
                 "reflection": false,
                 "rate_limits": {"relay": {"writes_per_second": 5},
                                 "identities": {"spiffe://fleet/relay/big": {"writes_per_second": 50, "write_burst": 500,
                                                                             "reads_per_second": 1, "read_burst": 1}}}}
                """);

        assertThat(policy.certificateIdentity("spiffe://fleet/relay/r-17"))
                .isEqualTo(new Identity("spiffe://fleet/relay/r-17", "mtls", Optional.of(Role.RELAY), Optional.of("r-17")));
        assertThat(policy.certificateIdentity("eu.api.fleet.internal").role()).contains(Role.READER);
        assertThat(policy.certificateIdentity("spiffe://fleet/ops").role()).contains(Role.ADMIN);
        // '*' and {relay_id} never cross a '/': a longer path is not a relay.
        assertThat(policy.certificateIdentity("spiffe://fleet/relay/a/b").role()).isEmpty();
        assertThat(policy.certificateIdentity("spiffe://other/relay/r1").role()).isEmpty();
        assertThat(policy.tokenIdentity("spiffe://fleet/relay/r2", Role.RELAY).relayId()).contains("r2");
        assertThat(policy.tokenIdentity("edge-7", Role.RELAY).relayId()).contains("edge-7");
        assertThat(policy.relaysMayRead()).isTrue();
        assertThat(policy.relaysMayTakeOverAgents()).isFalse();
        assertThat(policy.reflection()).isFalse();
        assertThat(policy.rateLimits().roles().get(Role.RELAY)).isEqualTo(new Policy.RateLimit(5, 1000, 10, 100));
        assertThat(policy.rateLimits().forIdentity(policy.certificateIdentity("spiffe://fleet/relay/big")).writeBurst()).isEqualTo(500);
    }

    @Test
    void an_empty_policy_is_the_defaults() {
        assertThat(PolicyParser.parse("{}")).isEqualTo(Policy.defaults());
    }

    @Test
    void mistakes_are_refused_naming_the_field() {
        assertRefused("{\"identitys\": []}", "identitys: unknown field; known: identities, rate_limits, reflection, relays_may_read, relays_may_take_over_agents");
        assertRefused("{\"identities\": [{\"match\": \"x\", \"role\": \"root\"}]}", "identities[0].role: unknown role 'root': expected relay, reader or admin");
        assertRefused("{\"identities\": [{\"match\": \"spiffe://fleet/relay/*\", \"role\": \"relay\"}]}",
                "identities[0].match: a relay rule must contain {relay_id} exactly once, such as spiffe://fleet/relay/{relay_id}");
        assertRefused("{\"identities\": [{\"role\": \"admin\"}]}", "identities[0].match: missing");
        assertRefused("{\"relays_may_read\": \"yes\"}", "relays_may_read: expected true or false, was \"yes\"");
        assertRefused("{\"rate_limits\": {\"relay\": {\"write_burst\": 0}}}",
                "rate_limits.relay.write_burst: expected a whole number from 1 to 1000000000, was 0");
        assertRefused("{\"rate_limits\": {\"identities\": {\"a\": {\"writes_per_second\": 1}}}}",
                "rate_limits.identities[\"a\"].write_burst: missing (an identity's limits are given in full)");
        assertRefused("{\"identities\": [", "not valid JSON: ");
    }

    @Test
    void read_names_the_file(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("policy.json"), "{\"reflection\": 1}");
        assertThatThrownBy(() -> PolicyParser.read(file)).hasMessage("--auth-policy " + file + ": reflection: expected true or false, was 1");
    }

    private static void assertRefused(String json, String message) {
        assertThatThrownBy(() -> PolicyParser.parse(json)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }
}
