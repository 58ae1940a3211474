package io.aeroarc.registry.core.watch;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Optional;

/**
 * A watcher's place in one hub's events: the hub's incarnation (random per start) and the number
 * of the last event the watcher has. Opaque to clients (URL-safe base64); a token of another
 * server or of an earlier start of this one does not resume, it gets a fresh snapshot.
 */
record ResumeToken(long hubIncarnation, long sequence) {

    private static final int BYTES = 2 * Long.BYTES;

    String encode() {
        ByteBuffer bytes = ByteBuffer.allocate(BYTES).putLong(hubIncarnation).putLong(sequence);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
    }

    /** Empty for anything that is not a token of this form (clients may send anything). */
    static Optional<ResumeToken> decode(String token) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (bytes.length != BYTES) {
            return Optional.empty();
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return Optional.of(new ResumeToken(buffer.getLong(), buffer.getLong()));
    }
}
