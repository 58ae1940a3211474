package io.aeroarc.registry.backend.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of the backend, one per operation, each run atomically by Redis. The source is
 * {@code prelude.lua} (key layout and shared helpers), for the scripts that record changes
 * {@code changes.lua}, then the operation's own file.
 */
enum RegistryScript {
    REGISTER_RELAY("register_relay.lua", true),
    HEARTBEAT_RELAY("heartbeat_relay.lua"),
    GET_RELAY("get_relay.lua"),
    DEREGISTER_RELAY("deregister_relay.lua", true),
    LIST_RELAYS("list_relays.lua"),
    REGISTER_AGENT("register_agent.lua", true),
    HEARTBEAT_AGENT("heartbeat_agent.lua"),
    HEARTBEAT_AGENTS("heartbeat_agents.lua"),
    DEREGISTER_AGENT("deregister_agent.lua", true),
    GET_PLACEMENT("get_placement.lua"),
    GET_PLACEMENTS("get_placements.lua"),
    LIST_AGENTS("list_agents.lua"),
    HEARTBEAT_AGENT_BATCH("heartbeat_agent_batch.lua"),
    GET_PLACEMENT_BATCH("get_placement_batch.lua"),
    REPORT_EXPIRED("report_expired.lua", true),
    SWEEP_RELAY_INDEXES("sweep_relay_indexes.lua"),
    FEED_START("feed_start.lua"),
    COUNT_LIVE("count_live.lua");

    private static final String PRELUDE = "prelude.lua";
    /** The change-stream helpers, only in the scripts that record changes: Lua defines them on every call. */
    private static final String CHANGES = "changes.lua";

    private final String fileName;
    private final String source;
    private final String sha1;

    RegistryScript(String fileName) {
        this(fileName, false);
    }

    RegistryScript(String fileName, boolean recordsChanges) {
        this.fileName = fileName;
        this.source = read(PRELUDE) + "\n" + (recordsChanges ? read(CHANGES) + "\n" : "") + read(fileName);
        this.sha1 = sha1Hex(source);
    }

    String fileName() {
        return fileName;
    }

    String source() {
        return source;
    }

    /** The digest EVALSHA names the script by; Redis computes the same one on SCRIPT LOAD. */
    String sha1() {
        return sha1;
    }

    private static String read(String fileName) {
        try (InputStream in = RegistryScript.class.getResourceAsStream(fileName)) {
            if (in == null) {
                throw new IllegalStateException("script " + fileName + " is missing from the backend-redis jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read script " + fileName, e);
        }
    }

    private static String sha1Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-1", e);
        }
    }
}
