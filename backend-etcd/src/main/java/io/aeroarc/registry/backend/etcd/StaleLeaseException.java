package io.aeroarc.registry.backend.etcd;

/**
 * etcd no longer knows a lease this backend handed a write, as after the cluster was restored
 * from a backup: the write did not happen and may be tried again with a new lease.
 */
final class StaleLeaseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    StaleLeaseException(Throwable cause) {
        super(cause.getMessage(), cause);
    }
}
