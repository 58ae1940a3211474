package io.aeroarc.registry.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Where everything lives under the namespace {@code N}:
 *
 * <pre>
 * N relays/{relayId}                                             relay: incarnation, address, labels, times
 * N agents/{agentId}                                             placement: relay, incarnation, epoch, times
 * N relay-agents/{relay}/{incarnation}/{agentId}                 copy of the placement, listed by agent id and
 *                                                                read to count the relay's visible placements
 * N feed/deregistered                                            who the last deregistration ended, and when
 * N feed/barrier/{subscription}                                  a change feed's barrier, short-lived
 * </pre>
 *
 * <p>Ids stay raw at the end of a key, so etcd's byte order is the id order the SPI asks for. A
 * relay id in the middle of a key is escaped ({@code %} and {@code /}), so one relay's prefix never
 * covers another relay's keys.
 *
 * <p>Earlier releases also kept {@code relay-expiries/{relay}/{incarnation}/{expiresAtMs}/{agentId}}
 * to count a relay's placements without reading them; it cost every renewal a put and a delete
 * (two of its four writes). This release neither writes nor reads it; the keys left by an earlier
 * release end with their leases.
 */
final class KeyLayout {

    private static final String RELAYS = "relays/";
    private static final String AGENTS = "agents/";
    private static final String RELAY_AGENTS = "relay-agents/";
    private static final String FEED = "feed/";

    private final String namespace;
    private final ByteSequence relaysPrefix;
    private final ByteSequence agentsPrefix;

    KeyLayout(String namespace) {
        this.namespace = namespace;
        this.relaysPrefix = key(namespace + RELAYS);
        this.agentsPrefix = key(namespace + AGENTS);
    }

    /** Every key of the namespace, for the change feed's watch. */
    KeyRange everything() {
        return after(namespace, "");
    }

    boolean isRelay(ByteSequence key) {
        return key.startsWith(relaysPrefix);
    }

    boolean isAgent(ByteSequence key) {
        return key.startsWith(agentsPrefix);
    }

    KeyRange allRelays() {
        return after(namespace + RELAYS, "");
    }

    KeyRange allAgents() {
        return after(namespace + AGENTS, "");
    }

    /**
     * Written in the transaction of every deregistration, so that a change feed can tell the
     * deletes of a deregistration from the deletes of a lease: same revision, exact.
     */
    ByteSequence deregisteredMarker() {
        return key(namespace + FEED + "deregistered");
    }

    /** The key one change feed subscription writes to learn that its watch has caught up. */
    ByteSequence feedBarrier(String subscriptionId) {
        return key(namespace + FEED + "barrier/" + subscriptionId);
    }

    /** A key of the namespace that is never written, read by the health probe. */
    ByteSequence probe() {
        return key(namespace);
    }

    ByteSequence relay(String relayId) {
        return key(namespace + RELAYS + relayId);
    }

    String relayIdOf(ByteSequence relayKey) {
        return relayKey.toString(StandardCharsets.UTF_8).substring(namespace.length() + RELAYS.length());
    }

    /** The range of relay keys strictly after {@code afterId}; empty means from the first. */
    KeyRange relaysAfter(String afterId) {
        return after(namespace + RELAYS, afterId);
    }

    ByteSequence agent(String agentId) {
        return key(namespace + AGENTS + agentId);
    }

    String agentIdOf(ByteSequence agentKey) {
        return agentKey.toString(StandardCharsets.UTF_8).substring(namespace.length() + AGENTS.length());
    }

    KeyRange agentsAfter(String afterId) {
        return after(namespace + AGENTS, afterId);
    }

    ByteSequence relayAgent(String relayId, String incarnation, String agentId) {
        return key(relayAgentsPrefix(relayId, incarnation) + agentId);
    }

    String agentIdOfRelayAgent(ByteSequence relayAgentKey, String relayId, String incarnation) {
        return relayAgentKey.toString(StandardCharsets.UTF_8).substring(relayAgentsPrefix(relayId, incarnation).length());
    }

    /** The placements of one relay incarnation with agent ids strictly after {@code afterId}. */
    KeyRange relayAgentsAfter(String relayId, String incarnation, String afterId) {
        return after(relayAgentsPrefix(relayId, incarnation), afterId);
    }

    KeyRange allRelayAgents(String relayId, String incarnation) {
        return after(relayAgentsPrefix(relayId, incarnation), "");
    }

    private String relayAgentsPrefix(String relayId, String incarnation) {
        return namespace + RELAY_AGENTS + escape(relayId) + "/" + incarnation + "/";
    }

    private static KeyRange after(String prefix, String afterId) {
        // The smallest key greater than prefix+afterId is prefix+afterId+"\0".
        ByteSequence start = afterId.isEmpty() ? key(prefix) : key(prefix + afterId + "\0");
        return new KeyRange(start, prefixEnd(prefix));
    }

    static String escape(String id) {
        return id.replace("%", "%25").replace("/", "%2F");
    }

    private static ByteSequence prefixEnd(String prefix) {
        byte[] bytes = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] != (byte) 0xff) {
                bytes[i]++;
                return ByteSequence.from(Arrays.copyOf(bytes, i + 1));
            }
        }
        throw new IllegalArgumentException("no key follows the prefix " + prefix);
    }

    private static ByteSequence key(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    /** The keys from {@code start} (inclusive) to {@code end} (exclusive), in byte order. */
    record KeyRange(ByteSequence start, ByteSequence end) {}
}
