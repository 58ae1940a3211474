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

    /** Whether clients must prove who they are. */
    public boolean authenticates() {
        return clientAuth != ClientAuth.NONE || tokenFile.isPresent();
    }
}
