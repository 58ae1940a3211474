package io.aeroarc.registry.server.security;

import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Everything the security flags switch on, built once at start-up: the TLS credentials that ask
 * for client certificates, the token file (watched for changes), the policy, and the interceptor
 * that applies them. Without security flags it audits deregistrations and ownership changes and
 * changes nothing else.
 */
public final class Security implements AutoCloseable {

    private final SecurityConfig config;
    private final Policy policy;
    private final Optional<TokenFile> tokens;

    private Security(SecurityConfig config, Policy policy, Optional<TokenFile> tokens) {
        this.config = config;
        this.policy = policy;
        this.tokens = tokens;
    }

    /**
     * Reads the policy and the token file.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static Security from(SecurityConfig config) {
        Policy policy = config.policyFile().map(PolicyParser::read).orElseGet(Policy::defaults);
        Optional<TokenFile> tokens = config.tokenFile().map(TokenFile::watch);
        return new Security(config, policy, tokens);
    }

    /** Server TLS that also asks for client certificates signed by {@code --tls-client-ca}. */
    public ServerCredentials tlsCredentials(Path certificate, Path key) {
        TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder();
        try {
            builder.keyManager(certificate.toFile(), key.toFile());
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot load --tls-cert-path/--tls-key-path: " + e.getMessage(), e);
        }
        if (config.clientCa().isPresent()) {
            try {
                builder.trustManager(config.clientCa().get().toFile());
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot load --tls-client-ca: " + e.getMessage(), e);
            }
            builder.clientAuth(config.clientAuth() == SecurityConfig.ClientAuth.REQUIRE
                    ? TlsServerCredentials.ClientAuth.REQUIRE : TlsServerCredentials.ClientAuth.OPTIONAL);
        }
        return builder.build();
    }

    /**
     * The interceptor to run outermost, so calls it refuses cost nothing further; none when there is
     * nothing to do (no authentication, no policy, audit off).
     *
     * @param placements for rules that depend on an agent's current relay (audit lines read the old owner from the response)
     * @param toStatus how a storage failure during such a look-up is answered
     */
    public List<ServerInterceptor> interceptors(CurrentPlacement placements, Function<Throwable, Status> toStatus) {
        boolean limits = authorizes();
        if (!limits && !config.audit()) {
            return List.of();
        }
        return List.of(new SecurityInterceptor(config.clientAuth(), tokens, policy,
                limits ? Optional.of(new RateLimiter(System::nanoTime)) : Optional.empty(), placements, new AuditLog(config.audit()), toStatus));
    }

    /**
     * Whether calls are authorized by role; some of the rules then read an agent's placement before
     * the call runs (a relay's HeartbeatAgent without relay_id, RegisterAgent, DeregisterAgent),
     * a wait for the storage. Reads never wait.
     */
    public boolean authorizes() {
        return config.authenticates() || config.policyFile().isPresent();
    }

    @Override
    public void close() {
        tokens.ifPresent(TokenFile::close);
    }
}
