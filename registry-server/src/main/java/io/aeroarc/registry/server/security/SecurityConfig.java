package io.aeroarc.registry.server.security;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The security flags: who clients are (client certificates, bearer tokens), what they may do
 * (the policy), and whether the audit log is written.
 *
 * @param clientCa PEM bundle of the CAs that sign client certificates; present exactly when client auth is not NONE
 * @param tokenFile bearer tokens, reloaded when the file changes
 * @param policyFile roles, rate limits and reflection; defaults apply without it
 * @param allowPlaintextLoopback tokens may travel unencrypted, as long as the server listens on loopback only
 * @param audit whether the audit logger gets its lines
 */
public record SecurityConfig(
        Optional<Path> clientCa,
        ClientAuth clientAuth,
        Optional<Path> tokenFile,
        Optional<Path> policyFile,
        boolean allowPlaintextLoopback,
        boolean audit) {

    /** Whether TLS clients must, may or must not present a certificate. */
    public enum ClientAuth {
        NONE, OPTIONAL, REQUIRE
    }

    /** No authentication, no policy, audit on: the behaviour of a server started without security flags. */
    public static SecurityConfig none() {
        return new SecurityConfig(Optional.empty(), ClientAuth.NONE, Optional.empty(), Optional.empty(), false, true);
    }

    /** One line for the start-up log: what clients must show and what is recorded. */
    public String describe() {
        if (!authenticates()) {
            return "security: no client authentication" + policyFile.map(path -> ", rate limits from " + path).orElse("")
                    + (audit ? ", audit log on" : ", audit log off");
        }
        return "security: client certificates " + clientAuth.name().toLowerCase(java.util.Locale.ROOT)
                + clientCa.map(path -> " (CA " + path + ")").orElse("")
                + tokenFile.map(path -> ", bearer tokens from " + path).orElse("")
                + policyFile.map(path -> ", policy " + path).orElse(", default policy")
                + (audit ? ", audit log on" : ", audit log off");
    }

    /** Whether clients must prove who they are. */
    public boolean authenticates() {
        return clientAuth != ClientAuth.NONE || tokenFile.isPresent();
    }
}
