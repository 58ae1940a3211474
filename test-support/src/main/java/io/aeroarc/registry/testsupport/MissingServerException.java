package io.aeroarc.registry.testsupport;

/** No way to get a real server: the message says how to provide one. */
public final class MissingServerException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public MissingServerException(String server, String envVar, String installHint) {
        super("No " + server + " for the tests: set " + envVar + " to a running one, start a Docker engine for Testcontainers, or "
                + installHint + " (the README's test command does this when run as root on Debian/Ubuntu)");
    }
}
