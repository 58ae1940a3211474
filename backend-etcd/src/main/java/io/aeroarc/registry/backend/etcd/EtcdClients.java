package io.aeroarc.registry.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLException;

/** Builds the jetcd client for the settings; it connects on first use, not here. */
final class EtcdClients {

    /**
     * jetcd retries reads on UNAVAILABLE by itself (never writes that may have happened); these
     * bounds keep its retries inside one backend call's timeout.
     */
    private static final int RETRY_MAX_ATTEMPTS = 2;
    private static final long RETRY_DELAY_MS = 50;
    private static final long RETRY_MAX_DELAY_MS = 250;
    /**
     * gRPC's default 4 MB is too small for the change feed's watch: catching up, etcd sends the
     * events of up to 1 000 revisions in one message (batch renewals of 32 agents are 128 events
     * each: ~20 MB measured), and a relay deregistration deletes all its keys in one revision.
     * Only a bound: memory is used by messages that come.
     */
    private static final int MAX_INBOUND_MESSAGE_BYTES = 256 * 1024 * 1024;

    private EtcdClients() {}

    static Client create(EtcdSettings settings) {
        ClientBuilder builder = Client.builder()
                .endpoints(settings.endpoints().toArray(URI[]::new))
                // Fail at once while etcd is unreachable instead of queueing until the timeout.
                .waitForReady(false)
                .retryMaxAttempts(RETRY_MAX_ATTEMPTS)
                .retryDelay(RETRY_DELAY_MS)
                .retryMaxDelay(RETRY_MAX_DELAY_MS)
                .retryMaxDuration(settings.timeout())
                .connectTimeout(settings.timeout())
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .interceptor(new CallDeadlineInterceptor(settings.timeout()));
        if (settings.user().isPresent()) {
            builder.user(ByteSequence.from(settings.user().get(), StandardCharsets.UTF_8))
                    .password(ByteSequence.from(settings.password().orElseThrow(), StandardCharsets.UTF_8));
        }
        if (settings.tls()) {
            builder.sslContext(sslContext(settings));
        }
        return builder.build();
    }

    private static SslContext sslContext(EtcdSettings settings) {
        SslContextBuilder tls = GrpcSslContexts.forClient();
        settings.caFile().ifPresent(ca -> tls.trustManager(ca.toFile()));
        if (settings.certFile().isPresent()) {
            tls.keyManager(settings.certFile().get().toFile(), settings.keyFile().orElseThrow().toFile());
        }
        try {
            return tls.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid --backend-option " + EtcdSettings.CA_FILE + "/" + EtcdSettings.CERT_FILE + "/"
                    + EtcdSettings.KEY_FILE + " for backend etcd: cannot build TLS from them (the key must be PEM, PKCS#8): "
                    + e.getMessage(), e);
        }
    }
}
