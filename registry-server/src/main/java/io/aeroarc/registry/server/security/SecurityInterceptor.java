package io.aeroarc.registry.server.security;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.aeroarc.registry.api.v1.DeregisterAgentRequest;
import io.aeroarc.registry.api.v1.DeregisterRelayRequest;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterAgentResponse;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authentication, rate limiting, authorization and audit for every call, in that order. Health is
 * open to all. The first two run when the call starts, on the transport thread, and cost no
 * storage round trip: a refused flood never reaches the call pool. Authorization needs the request
 * (relay ids), so it runs when the message arrives, on the call's executor.
 */
final class SecurityInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> RETRY_PUSHBACK = Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

    private static final Logger LOG = LoggerFactory.getLogger(SecurityInterceptor.class);
    private static final Set<String> AUDITED = Set.of("RegisterAgent", "DeregisterRelay", "DeregisterAgent");

    private final SecurityConfig.ClientAuth clientAuth;
    private final Optional<TokenFile> tokens;
    private final Policy policy;
    private final Optional<RateLimiter> rateLimiter;
    private final Authorizer authorizer;
    private final AuditLog audit;
    private final Function<Throwable, Status> toStatus;

    SecurityInterceptor(SecurityConfig.ClientAuth clientAuth, Optional<TokenFile> tokens, Policy policy, Optional<RateLimiter> rateLimiter,
            CurrentPlacement placements, AuditLog audit, Function<Throwable, Status> toStatus) {
        this.clientAuth = clientAuth;
        this.tokens = tokens;
        this.policy = policy;
        this.rateLimiter = rateLimiter;
        this.authorizer = new Authorizer(policy.relaysMayRead(), policy.relaysMayTakeOverAgents(), placements);
        this.audit = audit;
        this.toStatus = toStatus;
    }

    private boolean authenticates() {
        return clientAuth != SecurityConfig.ClientAuth.NONE || tokens.isPresent();
    }

    /** A refusal of the credentials: the client is told why, the audit log learns who tried. */
    private record Unauthenticated(String reason) {}

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String service = call.getMethodDescriptor().getServiceName();
        if (HealthGrpc.SERVICE_NAME.equals(service)) {
            return next.startCall(call, headers);
        }
        String method = call.getMethodDescriptor().getBareMethodName();
        String peer = peerAddress(call);
        Identity identity = null;
        if (authenticates()) {
            Object proven = authenticate(call, headers);
            if (proven instanceof Unauthenticated refused) {
                audit.record("call-denied", peer, "none", method, "code", "UNAUTHENTICATED", "reason", refused.reason());
                return refuse(call, Status.UNAUTHENTICATED.withDescription(refused.reason()), new Metadata());
            }
            identity = (Identity) proven;
        }
        String who = identity == null ? peer : identity.name();
        String auth = identity == null ? "none" : identity.source();

        if (!AeroRegistryGrpc.SERVICE_NAME.equals(service)) {
            // Reflection (and any other service added later): no storage, no limits, just the switch.
            if (!policy.reflection()) {
                audit.record("call-denied", who, auth, call.getMethodDescriptor().getFullMethodName(), "code", "PERMISSION_DENIED", "rule", "reflection");
                return refuse(call, Status.PERMISSION_DENIED.withDescription("denied by rule reflection: the policy turns reflection off"),
                        new Metadata());
            }
            return next.startCall(call, headers);
        }

        if (rateLimiter.isPresent()) {
            boolean read = Authorizer.isRead(method);
            Policy.RateLimit limit = identity == null ? policy.rateLimits().peer() : policy.rateLimits().forIdentity(identity);
            String client = identity == null ? "peer " + peer : "identity " + identity.name();
            TokenBucket.Take take = rateLimiter.get().take(client, read ? RateLimiter.Kind.READ : RateLimiter.Kind.WRITE, limit);
            if (!take.taken()) {
                String rate = read ? limit.readsPerSecond() + " reads/s (burst " + limit.readBurst() + ")"
                        : limit.writesPerSecond() + " writes/s (burst " + limit.writeBurst() + ")";
                if (take.startedRefusing()) {
                    LOG.warn("{} is over its rate limit of {}; its calls get RESOURCE_EXHAUSTED until it slows down (logged once per episode)",
                            client, rate);
                }
                Metadata trailers = new Metadata();
                trailers.put(RETRY_PUSHBACK, Long.toString(take.retryAfterMillis()));
                return refuse(call, Status.RESOURCE_EXHAUSTED.withDescription("rate limit of " + rate + " exceeded; retry after "
                        + take.retryAfterMillis() + " ms"), trailers);
            }
        }

        boolean audited = audit.enabled() && AUDITED.contains(method);
        if (identity == null && !audited) {
            return next.startCall(call, headers);
        }
        CallRecord record = new CallRecord(who, auth, method);
        ServerCall<Q, R> forwarded = audited ? new AuditingCall<>(call, record) : call;
        return new GuardedListener<>(next.startCall(forwarded, headers), call, identity, record);
    }

    private Object authenticate(ServerCall<?, ?> call, Metadata headers) {
        String authorization = headers.get(AUTHORIZATION);
        if (authorization != null) {
            if (tokens.isEmpty()) {
                return new Unauthenticated("this server accepts no bearer tokens");
            }
            String prefix = "bearer ";
            if (authorization.length() <= prefix.length() || !authorization.substring(0, prefix.length()).toLowerCase(Locale.ROOT).equals(prefix)) {
                return new Unauthenticated("the authorization header must be 'Bearer <token>'");
            }
            Optional<TokenFile.Holder> holder = tokens.get().holderOf(authorization.substring(prefix.length()).strip());
            if (holder.isEmpty()) {
                return new Unauthenticated("unknown or revoked bearer token");
            }
            return policy.tokenIdentity(holder.get().identity(), holder.get().role());
        }
        if (clientAuth != SecurityConfig.ClientAuth.NONE) {
            SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            if (session != null) {
                Certificate[] chain;
                try {
                    chain = session.getPeerCertificates();
                } catch (SSLPeerUnverifiedException e) {
                    chain = new Certificate[0];
                }
                if (chain.length > 0 && chain[0] instanceof X509Certificate certificate) {
                    Optional<String> name = CertificateIdentity.nameOf(certificate);
                    if (name.isEmpty()) {
                        return new Unauthenticated("the client certificate names no identity (no URI SAN, DNS SAN or CN)");
                    }
                    return policy.certificateIdentity(name.get());
                }
            }
            return new Unauthenticated(tokens.isPresent() ? "no client certificate and no bearer token" : "no client certificate");
        }
        return new Unauthenticated("no bearer token (metadata authorization: Bearer <token>)");
    }

    private static String peerAddress(ServerCall<?, ?> call) {
        SocketAddress address = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(address);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, Metadata trailers) {
        call.close(status, trailers);
        return new ServerCall.Listener<>() {};
    }

    /** What the audit line of one call needs, filled in as the call goes. */
    private static final class CallRecord {
        final String who;
        final String auth;
        final String method;
        volatile Object request;

        CallRecord(String who, String auth, String method) {
            this.who = who;
            this.auth = auth;
            this.method = method;
        }
    }

    /**
     * Authorizes the request before the registry sees it; drops the rest of a refused call. The
     * request is held until the client half-closes: registry calls are unary, and their half-close
     * runs on a call thread, where the storage look-ups of some rules may wait. The message itself
     * arrives on a transport thread, which must never wait for the storage; so do the half-closes
     * of the calls the server runs there, which are never ones whose rules read the storage
     * (RegistryServer.transportThreadCalls).
     */
    private final class GuardedListener<Q, R> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
        private final ServerCall<Q, R> call;
        private final Identity identity;
        private final CallRecord record;
        private Q received;

        GuardedListener(ServerCall.Listener<Q> delegate, ServerCall<Q, R> call, Identity identity, CallRecord record) {
            super(delegate);
            this.call = call;
            this.identity = identity;
            this.record = record;
        }

        @Override
        public void onMessage(Q message) {
            // Request parsing lets exactly one message through before the half-close.
            received = message;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void onHalfClose() {
            Object request = received;
            try {
                if (identity != null) {
                    Authorizer.Decision decision = authorizer.decide(identity, record.method, received);
                    if (decision instanceof Authorizer.Deny deny) {
                        audit.record("call-denied", record.who, record.auth, record.method, "role",
                                identity.role().map(Role::wireName).orElse("none"), "code", "PERMISSION_DENIED", "rule", deny.rule(),
                                "reason", deny.reason());
                        call.close(Status.PERMISSION_DENIED.withDescription("denied by rule " + deny.rule() + ": " + deny.reason()), new Metadata());
                        return;
                    }
                    request = ((Authorizer.Allow) decision).request();
                }
                record.request = request;
            } catch (RuntimeException e) {
                call.close(toStatus.apply(e), new Metadata());
                return;
            }
            super.onMessage((Q) request);
            super.onHalfClose();
        }
    }

    /**
     * Writes the audit lines of ownership changes and deregistrations once their outcome is known.
     * A move's old owner comes from the RegisterAgentResponse (the registry reads it just before
     * registering), so auditing costs no read of its own and holds no call thread.
     */
    private final class AuditingCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private final CallRecord record;
        private volatile RegisterAgentResponse registered;

        AuditingCall(ServerCall<Q, R> delegate, CallRecord record) {
            super(delegate);
            this.record = record;
        }

        @Override
        public void sendMessage(R message) {
            if (message instanceof RegisterAgentResponse response) {
                registered = response;
            }
            super.sendMessage(message);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            Object request = record.request;
            if (request instanceof DeregisterRelayRequest r) {
                audit.record("relay-deregistered", record.who, record.auth, record.method, "relay", r.getRelayId(), "outcome", outcome(status));
            } else if (request instanceof DeregisterAgentRequest r) {
                audit.record("agent-deregistered", record.who, record.auth, record.method, "agent", r.getAgentId(), "relay", r.getRelayId(),
                        "outcome", outcome(status));
            } else if (request instanceof RegisterAgentRequest r && status.isOk() && registered != null
                    && !registered.getPreviousRelayId().isEmpty()) {
                audit.record("agent-moved", record.who, record.auth, record.method, "agent", r.getAgent().getAgentId(),
                        "old_relay", registered.getPreviousRelayId(), "old_epoch", Long.toUnsignedString(registered.getPreviousEpoch()),
                        "new_relay", r.getRelayId(), "new_epoch", Long.toUnsignedString(registered.getEpoch()), "outcome", "OK");
            }
            super.close(status, trailers);
        }

        private static String outcome(Status status) {
            return status.getCode().name();
        }
    }
}
