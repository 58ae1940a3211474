package io.aeroarc.registry.bench;

/** A call succeeded but its answer was not the one the scenario set up, such as a lost agent. */
final class UnexpectedReply extends RuntimeException {

    private static final long serialVersionUID = 1L;

    UnexpectedReply(String message) {
        super(message, null, false, false);
    }
}
