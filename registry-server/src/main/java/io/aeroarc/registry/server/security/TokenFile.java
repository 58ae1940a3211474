package io.aeroarc.registry.server.security;

import io.aeroarc.registry.spi.support.DaemonThreads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code --auth-token-file}: one token per line as {@code sha256:<hex of SHA-256 of the token>
 * <role> <identity>}; blank lines and lines starting with {@code #} are ignored. Only hashes are
 * stored, so the file does not give the tokens away. Tokens must be random (32 bytes from a CSPRNG,
 * such as {@code openssl rand -hex 32}): then an unsalted fast hash is safe.
 *
 * <p>The file is read again every {@link #POLL_INTERVAL} and takes effect when its content changed,
 * so a revoked token stops working within a second, without a restart. A changed file that does
 * not parse is refused with an error in the log, and the tokens read before stay in force: a typo
 * while adding a token must not lock out the whole fleet.
 */
public final class TokenFile implements AutoCloseable {

    static final Duration POLL_INTERVAL = Duration.ofMillis(500);

    private static final Logger LOG = LoggerFactory.getLogger(TokenFile.class);
    private static final Pattern HASH = Pattern.compile("sha256:[0-9a-fA-F]{64}");

    /** One line: a token's holder. */
    public record Holder(Role role, String identity) {}

    private final Path path;
    private final ScheduledExecutorService poller;
    private volatile Map<String, Holder> byHash;
    private byte[] lastContent;

    private TokenFile(Path path, byte[] content, Map<String, Holder> byHash) {
        this.path = path;
        this.lastContent = content;
        this.byHash = byHash;
        this.poller = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("token-file-reload"));
    }

    /**
     * Reads the file and starts watching it.
     *
     * @throws IllegalArgumentException when it cannot be read or a line is malformed
     */
    public static TokenFile watch(Path path) {
        byte[] content;
        try {
            content = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IllegalArgumentException("--auth-token-file " + path + ": cannot read: " + e.getMessage(), e);
        }
        TokenFile file = new TokenFile(path, content, parse(path, content));
        file.poller.scheduleWithFixedDelay(file::reloadIfChanged, POLL_INTERVAL.toMillis(), POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("--auth-token-file {}: {} tokens", path, file.byHash.size());
        return file;
    }

    /** The holder of {@code token}, if the file lists its hash. */
    public Optional<Holder> holderOf(String token) {
        return Optional.ofNullable(byHash.get(sha256Hex(token)));
    }

    /** What a token's line starts with: {@code sha256:} and the hex of its SHA-256. */
    public static String hashOf(String token) {
        return "sha256:" + sha256Hex(token);
    }

    void reloadIfChanged() {
        byte[] content;
        try {
            content = Files.readAllBytes(path);
        } catch (IOException e) {
            LOG.error("--auth-token-file {}: cannot read ({}); the tokens read before stay in force", path, e.toString());
            return;
        }
        if (Arrays.equals(content, lastContent)) {
            return;
        }
        lastContent = content;
        try {
            Map<String, Holder> parsed = parse(path, content);
            byHash = parsed;
            LOG.info("--auth-token-file {} changed: {} tokens now", path, parsed.size());
        } catch (IllegalArgumentException e) {
            LOG.error("{}; the tokens read before stay in force", e.getMessage());
        }
    }

    private static Map<String, Holder> parse(Path path, byte[] content) {
        Map<String, Holder> holders = new HashMap<>();
        String[] lines = new String(content, StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "--auth-token-file " + path + " line " + (i + 1);
            String[] fields = line.split("\\s+");
            // The line itself is never echoed: someone may have pasted a token instead of its hash.
            if (fields.length != 3 || !HASH.matcher(fields[0]).matches()) {
                throw new IllegalArgumentException(where + ": expected 'sha256:<64 hex digits> <role> <identity>'");
            }
            Role role;
            try {
                role = Role.parse(fields[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            String hash = fields[0].substring("sha256:".length()).toLowerCase(Locale.ROOT);
            if (holders.put(hash, new Holder(role, fields[2])) != null) {
                throw new IllegalArgumentException(where + ": the same token hash is listed twice");
            }
        }
        return Map.copyOf(holders);
    }

    private static String sha256Hex(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
