package io.aeroarc.registry.backend.redis;

import io.aeroarc.registry.testsupport.TestServer;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/** A plain client on the test server, for looking at what the backend stored. Test code may SCAN. */
final class RawRedis implements AutoCloseable {

    private static final Pattern CALLS = Pattern.compile("calls=(\\d+)");

    final RedisClient client;

    RawRedis(TestServer server) {
        this.client = RedisClient.create(URI.create(server.backendOptions().get(RedisSettings.URL)));
    }

    /** Every key under {@code prefix}, found with SCAN. */
    List<String> keys(String prefix) {
        List<String> keys = new ArrayList<>();
        ScanParams params = new ScanParams().match(prefix + "*").count(1000);
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = client.scan(cursor, params);
            keys.addAll(page.getResult());
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        return keys;
    }

    void deleteAll(String prefix) {
        List<String> keys = keys(prefix);
        if (!keys.isEmpty()) {
            client.unlink(keys.toArray(String[]::new));
        }
    }

    /** How often Redis ran {@code command} since it started (top-level and from scripts). */
    long calls(String command) {
        for (String line : client.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_" + command + ":")) {
                Matcher matcher = CALLS.matcher(line);
                if (matcher.find()) {
                    return Long.parseLong(matcher.group(1));
                }
            }
        }
        return 0;
    }

    @Override
    public void close() {
        client.close();
    }
}
