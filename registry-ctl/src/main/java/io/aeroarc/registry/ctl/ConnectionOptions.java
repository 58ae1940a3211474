package io.aeroarc.registry.ctl;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * Where and how to connect; a mixin of every command. The TLS flags are the client's side of the
 * server's {@code --tls-enabled}, {@code --tls-client-ca} and {@code --auth-token-file}.
 */
final class ConnectionOptions {

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @Option(names = "--target", paramLabel = "HOST:PORT", defaultValue = "${REGISTRYCTL_TARGET:-localhost:50051}",
            description = "registry to call (env REGISTRYCTL_TARGET; default ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = GoDuration.class,
            defaultValue = "${REGISTRYCTL_TIMEOUT:-5s}",
            description = "deadline of each call, e.g. 500ms, 5s, 1m (env REGISTRYCTL_TIMEOUT; default ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "${REGISTRYCTL_OUTPUT:-table}",
            description = "table or json (one JSON document; env REGISTRYCTL_OUTPUT; default ${DEFAULT-VALUE})")
    OutputFormat output;

    @Option(names = "--tls-enabled", defaultValue = "${REGISTRYCTL_TLS_ENABLED:-false}", fallbackValue = "true", arity = "0..1",
            description = "connect with TLS (implied by the other --tls-* flags; env REGISTRYCTL_TLS_ENABLED)")
    boolean tlsEnabled;

    @Option(names = "--tls-ca-path", paramLabel = "PEM", defaultValue = "${REGISTRYCTL_TLS_CA_PATH}",
            description = "CA bundle that signs the server's certificate, instead of the system's (env REGISTRYCTL_TLS_CA_PATH)")
    Path tlsCaPath;

    @Option(names = "--tls-cert-path", paramLabel = "PEM", defaultValue = "${REGISTRYCTL_TLS_CERT_PATH}",
            description = "client certificate chain for mutual TLS; needs --tls-key-path (env REGISTRYCTL_TLS_CERT_PATH)")
    Path tlsCertPath;

    @Option(names = "--tls-key-path", paramLabel = "PEM", defaultValue = "${REGISTRYCTL_TLS_KEY_PATH}",
            description = "the client certificate's PKCS#8 key (env REGISTRYCTL_TLS_KEY_PATH)")
    Path tlsKeyPath;

    @Option(names = "--tls-server-name", paramLabel = "NAME", defaultValue = "${REGISTRYCTL_TLS_SERVER_NAME}",
            description = "name to expect in the server's certificate, when it is not the --target host (env REGISTRYCTL_TLS_SERVER_NAME)")
    String tlsServerName;

    @Option(names = "--auth-token-file", paramLabel = "FILE", defaultValue = "${REGISTRYCTL_AUTH_TOKEN_FILE}",
            description = "file holding the bearer token to send (env REGISTRYCTL_AUTH_TOKEN_FILE; the token itself may be in"
                    + " env REGISTRYCTL_AUTH_TOKEN). Sent over plaintext only to a loopback --target")
    Path authTokenFile;

    /** A channel to the target, carrying the credentials asked for. */
    ManagedChannel open() {
        boolean tls = tlsEnabled || tlsCaPath != null || tlsCertPath != null || tlsKeyPath != null || tlsServerName != null;
        ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(target, tls ? tlsCredentials() : InsecureChannelCredentials.create())
                .userAgent("registryctl");
        if (tlsServerName != null) {
            builder.overrideAuthority(tlsServerName);
        }
        String token = token();
        if (token != null) {
            if (!tls && !targetIsLoopback()) {
                throw new UsageException("a bearer token goes over plaintext only to a loopback --target; add --tls-enabled");
            }
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, "Bearer " + token);
            builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        return builder.build();
    }

    private ChannelCredentials tlsCredentials() {
        TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder();
        if (tlsCaPath != null) {
            try {
                credentials.trustManager(tlsCaPath.toFile());
            } catch (IOException | RuntimeException e) {
                throw new UsageException("--tls-ca-path " + tlsCaPath + ": " + e.getMessage(), e);
            }
        }
        if ((tlsCertPath == null) != (tlsKeyPath == null)) {
            throw new UsageException("--tls-cert-path and --tls-key-path go together");
        }
        if (tlsCertPath != null) {
            try {
                credentials.keyManager(tlsCertPath.toFile(), tlsKeyPath.toFile());
            } catch (IOException | RuntimeException e) {
                throw new UsageException("--tls-cert-path/--tls-key-path: " + e.getMessage()
                        + " (keys must be PKCS#8; convert with openssl pkcs8 -topk8 -nocrypt)", e);
            }
        }
        return credentials.build();
    }

    private String token() {
        if (authTokenFile != null) {
            try {
                String token = Files.readString(authTokenFile, StandardCharsets.UTF_8).strip();
                if (token.isEmpty()) {
                    throw new UsageException("--auth-token-file " + authTokenFile + " is empty");
                }
                return token;
            } catch (IOException e) {
                throw new UsageException("--auth-token-file: cannot read " + authTokenFile + ": " + e, e);
            }
        }
        String fromEnvironment = System.getenv("REGISTRYCTL_AUTH_TOKEN");
        return fromEnvironment == null || fromEnvironment.isBlank() ? null : fromEnvironment.strip();
    }

    private boolean targetIsLoopback() {
        String host = target.contains("://") ? target.substring(target.indexOf("://") + 3) : target;
        int colon = host.lastIndexOf(':');
        if (colon > 0 && !host.endsWith("]")) {
            host = host.substring(0, colon);
        }
        host = host.replace("[", "").replace("]", "").toLowerCase(Locale.ROOT);
        if (host.equals("localhost")) {
            return true;
        }
        try {
            // A literal address only; a name other than localhost is not resolved for this check.
            return Character.digit(host.charAt(0), 16) >= 0 && host.matches("[0-9a-f.:]+") && InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException | StringIndexOutOfBoundsException e) {
            return false;
        }
    }
}
