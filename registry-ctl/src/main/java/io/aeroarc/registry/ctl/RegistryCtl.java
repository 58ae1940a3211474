package io.aeroarc.registry.ctl;

import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code registryctl}: looks at and fixes a registry fleet by hand. Exit codes (also in
 * {@link ExitCodes}): 0 ok, 1 not found, 2 usage, 3 unavailable, 4 refused credentials, 5 other.
 */
@Command(name = "registryctl", mixinStandardHelpOptions = true, versionProvider = RegistryCtl.Version.class,
        description = {"Command-line client of the Aero Arc relay registry.",
                "Flags go after the command: registryctl relays list --target HOST:PORT --output json"},
        subcommands = {RelayCommands.class, AgentCommands.class, WatchCommands.class, HealthCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:ok",
                "1:not found (NOT_FOUND; agents get: some agent missing)",
                "2:usage: bad flags or arguments, unreadable TLS or token files, INVALID_ARGUMENT",
                "3:unavailable: cannot connect, UNAVAILABLE, DEADLINE_EXCEEDED (--timeout), health not SERVING",
                "4:credentials refused: UNAUTHENTICATED, PERMISSION_DENIED",
                "5:any other failure (FAILED_PRECONDITION, RESOURCE_EXHAUSTED, INTERNAL, ...)"})
public final class RegistryCtl {

    private RegistryCtl() {}

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line, writing results to {@code out} and errors to {@code err}; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(RegistryCtl.class)
                .setOut(out)
                .setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((exception, command, parsed) -> {
                    int code = ExitCodes.of(exception);
                    err.println("registryctl: " + describe(exception));
                    err.flush();
                    return code;
                });
        commandLine.getCommandSpec().exitCodeOnUsageHelp(ExitCodes.OK);
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static String describe(Exception exception) {
        if (exception instanceof StatusRuntimeException status) {
            String description = status.getStatus().getDescription();
            Throwable cause = status.getStatus().getCause();
            // Connection failures say only "io exception"; the cause says what happened (refused, handshake failed, ...).
            String why = cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")";
            return status.getStatus().getCode() + (description == null ? "" : ": " + description) + why;
        }
        return exception.getMessage() == null ? exception.toString() : exception.getMessage();
    }

    /** The version in the jar's manifest (none when run from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = RegistryCtl.class.getPackage().getImplementationVersion();
            return new String[] {"registryctl " + (version == null ? "(development build)" : version)};
        }
    }
}
