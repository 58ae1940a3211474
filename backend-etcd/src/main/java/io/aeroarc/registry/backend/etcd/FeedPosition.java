package io.aeroarc.registry.backend.etcd;

import java.util.Optional;

/**
 * Where a change stands in an {@link EtcdChangeFeed}: enough to rebuild, on any registry server,
 * exactly what the consumer has seen, from etcd's history.
 *
 * <p>A feed's view of the fleet is a function of two things: the etcd keys at a revision, and
 * the expiry watermark (every entry whose expiry is at or before it was reported expired). Two
 * kinds of steps change it, each producing its changes in a deterministic order:
 * <ul>
 *   <li>{@link Kind#REVISION}: the events of etcd revision {@code revision} applied under the
 *       watermark {@code watermarkMs}; the change is the {@code index}-th of that revision.</li>
 *   <li>{@link Kind#EXPIRY}: the keys at {@code revision}, with the entries expiring at
 *       {@code watermarkMs} reported; the change is the {@code index}-th of those.</li>
 * </ul>
 * Text form: {@code etcd:r:<revision>:<watermarkMs>:<index>} or {@code etcd:x:...}.
 */
record FeedPosition(Kind kind, long revision, long watermarkMs, int index) {

    enum Kind {
        REVISION("r"),
        EXPIRY("x");

        private final String tag;

        Kind(String tag) {
            this.tag = tag;
        }
    }

    private static final String PREFIX = "etcd:";

    String encode() {
        return PREFIX + kind.tag + ":" + revision + ":" + watermarkMs + ":" + index;
    }

    /** Empty when the text is not a position of this feed. */
    static Optional<FeedPosition> parse(String text) {
        if (!text.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] parts = text.substring(PREFIX.length()).split(":", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        Kind kind = parts[0].equals(Kind.REVISION.tag) ? Kind.REVISION : parts[0].equals(Kind.EXPIRY.tag) ? Kind.EXPIRY : null;
        try {
            long revision = Long.parseLong(parts[1]);
            long watermark = Long.parseLong(parts[2]);
            int index = Integer.parseInt(parts[3]);
            if (kind == null || revision < 1 || index < 0) {
                return Optional.empty();
            }
            return Optional.of(new FeedPosition(kind, revision, watermark, index));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
