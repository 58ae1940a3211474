package io.aeroarc.registry.server;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.grpc.MethodDescriptor;
import java.util.Set;

/**
 * The registry's long-lived server streams. The transport sees every registry method as a stream
 * (see {@link RequestParsing}), so the interceptors that treat these differently from the unary
 * calls (no default deadline, no wait for them at shutdown, flow control instead of the unread
 * budget) tell them apart by name.
 */
final class WatchMethods {

    private static final Set<String> NAMES = Set.of(AeroRegistryGrpc.getWatchRelaysMethod().getFullMethodName(),
            AeroRegistryGrpc.getWatchAgentsMethod().getFullMethodName());

    private WatchMethods() {}

    static boolean isWatch(MethodDescriptor<?, ?> method) {
        return NAMES.contains(method.getFullMethodName());
    }
}
