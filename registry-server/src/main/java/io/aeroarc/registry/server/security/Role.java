package io.aeroarc.registry.server.security;

import java.util.Locale;

/** What an identity may do; see {@link Authorizer} for the rules. */
public enum Role {
    /** Writes for the one relay its identity names. */
    RELAY,
    /** Get and List calls. */
    READER,
    /** Everything. */
    ADMIN;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the allowed values */
    public static Role parse(String text) {
        for (Role role : values()) {
            if (role.wireName().equals(text)) {
                return role;
            }
        }
        throw new IllegalArgumentException("unknown role '" + text + "': expected relay, reader or admin");
    }
}
