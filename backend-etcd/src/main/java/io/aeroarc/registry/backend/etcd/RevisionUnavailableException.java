package io.aeroarc.registry.backend.etcd;

/**
 * etcd cannot read at the revision asked: it compacted it away, or has not reached it (a
 * position from another cluster or a restore). A change feed answers it with a gap.
 */
final class RevisionUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    RevisionUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether etcd's error text is one of these two. */
    static boolean describes(String etcdReason) {
        return etcdReason.contains("required revision has been compacted") || etcdReason.contains("required revision is a future revision");
    }
}
