package io.aeroarc.registry.ctl;

import io.aeroarc.registry.api.v1.AeroRegistryGrpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthGrpc;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that calls the registry: opens the channel, runs, closes it; every call gets {@code --timeout}. */
abstract class RegistryCall implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    private ManagedChannel channel;

    @Override
    public final Integer call() throws Exception {
        channel = connection.open();
        try {
            return run(new Printer(connection.output, out(), spec.commandLine().getErr()));
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Does the command's calls and prints; returns the exit code (failed calls throw). */
    abstract int run(Printer printer) throws Exception;

    /** A stub whose next call has the full {@code --timeout}: take a new one for each call. */
    final AeroRegistryGrpc.AeroRegistryBlockingStub registry() {
        return AeroRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(connection.timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** A stub without a deadline, for streams that run until the user stops them. */
    final AeroRegistryGrpc.AeroRegistryBlockingStub streams() {
        return AeroRegistryGrpc.newBlockingStub(channel);
    }

    final HealthGrpc.HealthBlockingStub health() {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(connection.timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
