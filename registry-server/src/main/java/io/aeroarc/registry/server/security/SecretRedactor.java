package io.aeroarc.registry.server.security;

import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Blanks out the secrets among the backend options wherever they might be echoed, whatever the
 * backend: values of options named like a password, secret or token, the password in a URL's
 * user info ({@code redis://user:PASSWORD@host}) and {@code password=} parameters of JDBC URLs.
 * Backends are third-party code; their error messages are not trusted to leave secrets out.
 */
public final class SecretRedactor {

    private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|passwd|secret|token|credential).*");
    private static final Pattern URL_PASSWORD = Pattern.compile("://[^/@\\s:]*:([^@/\\s]+)@");
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)password=([^&;\\s]+)");
    static final String MASK = "***";

    private final Set<String> secrets;

    private SecretRedactor(Set<String> secrets) {
        this.secrets = secrets;
    }

    public static SecretRedactor of(Map<String, String> backendOptions) {
        // Longest first, so a secret containing another is masked whole.
        Set<String> secrets = new TreeSet<>(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
        backendOptions.forEach((key, value) -> {
            if (SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches() && !key.endsWith("-file")) {
                secrets.add(value);
            }
            for (Pattern embedded : new Pattern[] {URL_PASSWORD, PASSWORD_PARAMETER}) {
                Matcher matcher = embedded.matcher(value);
                while (matcher.find()) {
                    secrets.add(matcher.group(1));
                }
            }
        });
        secrets.removeIf(String::isEmpty);
        return new SecretRedactor(secrets);
    }

    public String redact(String text) {
        String redacted = text;
        for (String secret : secrets) {
            redacted = redacted.replace(secret, MASK);
        }
        return redacted;
    }
}
