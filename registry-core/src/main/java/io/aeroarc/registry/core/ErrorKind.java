package io.aeroarc.registry.core;

/** The expected failures of a registry request; the server maps each to one gRPC status. */
public enum ErrorKind {
    /** The request is malformed; the message names the field. */
    INVALID_ARGUMENT,
    /** The relay or placement is unknown or expired; clients register again. */
    NOT_FOUND,
    /** The placement belongs to another relay or epoch; the caller lost it. */
    FAILED_PRECONDITION
}
