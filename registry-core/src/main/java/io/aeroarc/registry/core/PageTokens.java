package io.aeroarc.registry.core;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Opaque page tokens. A token names the list it belongs to and the last id of the page it ends,
 * so the next page starts strictly after that id: a pass never repeats an entry, however the set
 * changes between calls.
 */
public final class PageTokens {

    private static final String VERSION = "v1";

    private PageTokens() {}

    public static String encode(String list, String lastId) {
        String plain = VERSION + ":" + list + ":" + lastId;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The id a page starts after: empty for an empty token.
     *
     * @throws RegistryException INVALID_ARGUMENT naming {@code field} when the token was not made
     *     by {@link #encode} for this list
     */
    public static String decode(String field, String list, String token) {
        if (token.isEmpty()) {
            return "";
        }
        String plain;
        try {
            plain = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw RegistryException.invalidArgument(field, "not a page token of this list");
        }
        String prefix = VERSION + ":" + list + ":";
        if (!plain.startsWith(prefix) || plain.length() == prefix.length()) {
            throw RegistryException.invalidArgument(field, "not a page token of this list");
        }
        return plain.substring(prefix.length());
    }
}
