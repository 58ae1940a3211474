package io.aeroarc.registry.server.security;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code --auth-policy} file, parsed: which certificate identities have which role, whether
 * relays may read the fleet or take over agents placed on other relays, whether reflection is
 * served, and the rate limits.
 *
 * @param identities tried in order; the first that matches gives the role
 */
public record Policy(List<IdentityRule> identities, boolean relaysMayRead, boolean relaysMayTakeOverAgents, boolean reflection,
        RateLimits rateLimits) {

    public Policy {
        identities = List.copyOf(identities);
    }

    /** Without a policy file: no certificate identity has a role; tokens bring their own. */
    public static Policy defaults() {
        return new Policy(List.of(), false, false, true, RateLimits.defaults());
    }

    /**
     * One entry of {@code identities}: a name pattern and the role it grants. In the pattern,
     * {@code *} stands for any text without a '/', and {@code {relay_id}} (relay rules only, exactly
     * once) for the relay's id, which then binds the identity to that relay.
     */
    public record IdentityRule(String match, Role role, Pattern pattern) {

        static IdentityRule of(String match, Role role) {
            int placeholders = match.split("\\{relay_id}", -1).length - 1;
            if (role == Role.RELAY && placeholders != 1) {
                throw new IllegalArgumentException("a relay rule must contain {relay_id} exactly once, such as spiffe://fleet/relay/{relay_id}");
            }
            if (role != Role.RELAY && placeholders != 0) {
                throw new IllegalArgumentException("{relay_id} is for relay rules only");
            }
            StringBuilder regex = new StringBuilder();
            StringBuilder literal = new StringBuilder();
            for (int i = 0; i < match.length(); i++) {
                if (match.startsWith("{relay_id}", i)) {
                    regex.append(Pattern.quote(literal.toString())).append("([^/]+)");
                    literal.setLength(0);
                    i += "{relay_id}".length() - 1;
                } else if (match.charAt(i) == '*') {
                    regex.append(Pattern.quote(literal.toString())).append("[^/]*");
                    literal.setLength(0);
                } else {
                    literal.append(match.charAt(i));
                }
            }
            regex.append(Pattern.quote(literal.toString()));
            return new IdentityRule(match, role, Pattern.compile(regex.toString()));
        }

        /** The relay id for relay rules, the empty string for others; empty when the name does not match. */
        Optional<String> bind(String name) {
            Matcher matcher = pattern.matcher(name);
            if (!matcher.matches()) {
                return Optional.empty();
            }
            return Optional.of(role == Role.RELAY ? matcher.group(1) : "");
        }
    }

    /** Tokens per second and bucket size, for calls that change the registry and for calls that read it. */
    public record RateLimit(double writesPerSecond, int writeBurst, double readsPerSecond, int readBurst) {}

    /**
     * @param roles per role, for every identity of that role
     * @param peer per client address when clients are not authenticated
     * @param identities per identity name, overriding its role's
     */
    public record RateLimits(Map<Role, RateLimit> roles, RateLimit peer, Map<String, RateLimit> identities) {

        public RateLimits {
            roles = Map.copyOf(roles);
            identities = Map.copyOf(identities);
        }

        /**
         * A relay renews its agents one call each (100 agents every 10 s: 10 writes/s) or in batches,
         * and registers them all at once when it starts; readers are API servers looking up
         * placements for every request they route.
         */
        public static RateLimits defaults() {
            return new RateLimits(Map.of(
                    Role.RELAY, new RateLimit(100, 1000, 10, 100),
                    Role.READER, new RateLimit(10, 10, 1000, 2000),
                    Role.ADMIN, new RateLimit(1000, 2000, 1000, 2000)),
                    new RateLimit(1000, 2000, 1000, 2000), Map.of());
        }

        RateLimit forIdentity(Identity identity) {
            RateLimit own = identities.get(identity.name());
            if (own != null) {
                return own;
            }
            // An identity without a role is denied every registry call anyway; it gets the tightest limits.
            return roles.get(identity.role().orElse(Role.RELAY));
        }
    }

    /** The identity a name gets when proven by a certificate: the first matching rule decides. */
    Identity certificateIdentity(String name) {
        for (IdentityRule rule : identities) {
            Optional<String> bound = rule.bind(name);
            if (bound.isPresent()) {
                return new Identity(name, "mtls", Optional.of(rule.role()),
                        rule.role() == Role.RELAY ? bound : Optional.empty());
            }
        }
        return new Identity(name, "mtls", Optional.empty(), Optional.empty());
    }

    /**
     * The identity of a token holder: its role is the token file's; a relay's id comes from the first
     * relay rule matching its name, else is the name itself.
     */
    Identity tokenIdentity(String name, Role role) {
        if (role != Role.RELAY) {
            return new Identity(name, "token", Optional.of(role), Optional.empty());
        }
        for (IdentityRule rule : identities) {
            if (rule.role() == Role.RELAY) {
                Optional<String> bound = rule.bind(name);
                if (bound.isPresent()) {
                    return new Identity(name, "token", Optional.of(role), bound);
                }
            }
        }
        return new Identity(name, "token", Optional.of(role), Optional.of(name));
    }
}
