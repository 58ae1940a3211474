package io.aeroarc.registry.backend.postgres;

/**
 * Every statement of the backend, with its tables in the configured schema. Each registry call
 * is one of these statements, run in autocommit mode: one round trip, one transaction.
 *
 * <p>Rules all of them keep: expiry is decided by the database clock ({@code now()}, the start of
 * the statement's transaction) at every read; a placement is visible only while its own expiry is
 * ahead and the relay incarnation it was placed on is live; ids compare byte-wise (their columns
 * are {@code COLLATE "C"}), so keyset pages ({@code id > after ORDER BY id}) are exact.
 */
final class Sql {

    /** Placeholder for the schema name in the templates. */
    private static final String SCHEMA = "{s}";

    /** Placement columns read by {@link Rows#placement}; {@code p} is a placements row. */
    static final String PLACEMENT_COLUMNS = "p.agent_id, p.relay_id, p.epoch, p.last_heartbeat, p.expires_at";

    /** Relay columns read by {@link Rows#relay}; {@code r} is a live relays row. */
    static final String RELAY_COLUMNS = """
            r.relay_id, r.address, r.grpc_port,
            (SELECT array_agg(ARRAY[l.key, l.value]) FROM jsonb_each_text(r.labels) l),
            r.registered_at, r.last_heartbeat, r.expires_at,
            (SELECT count(*) FROM {s}.placements c
              WHERE c.relay_id = r.relay_id AND c.relay_incarnation = r.incarnation AND c.expires_at > now())""";

    /** Placements {@code p} that are visible now, joined to their live relay {@code r}. */
    private static final String VISIBLE_PLACEMENTS = """
            {s}.placements p
            JOIN {s}.relays r ON r.relay_id = p.relay_id AND r.incarnation = p.relay_incarnation AND r.expires_at > now()""";

    /** Whether placement {@code p}'s relay incarnation is live now, for statements that update {@code p}. */
    private static final String ON_LIVE_RELAY = """
            EXISTS (SELECT 1 FROM {s}.relays r
                     WHERE r.relay_id = p.relay_id AND r.incarnation = p.relay_incarnation AND r.expires_at > now())""";

    private static final String TTL = "? * interval '1 millisecond'";

    /**
     * Makes the statement's own (autocommit) transaction commit without waiting for its WAL to be
     * flushed. Only renewals use it: a renewal lost in a database crash costs at most one
     * heartbeat interval of expiry, well inside a TTL, and the next heartbeat renews again. Every
     * ownership change (registration, deregistration, moves, epochs) still commits synchronously.
     * Set inside the statement so a renewal stays one round trip; synchronous_commit is read at
     * commit, and the transaction-local setting ends with it.
     */
    private static final String ASYNC_COMMIT = "(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit";

    final String registerRelay;
    final String heartbeatRelay;
    final String getRelay;
    final String deregisterRelay;
    final String listRelays;
    final String registerAgent;
    final String heartbeatAgent;
    final String heartbeatAgents;
    final String heartbeatAgentBatch;
    final String deregisterAgent;
    final String getPlacement;
    final String getPlacements;
    final String getPlacementBatch;
    final String listAgents;
    final String listAgentsOfRelay;
    final String probe;
    final String deleteExpiredRelays;
    final String deleteEndedPlacements;

    Sql(String schema) {
        // A relay that was not live gets a new incarnation (taken from the sequence even when
        // unused), which orphans the placements of the old one for good.
        registerRelay = inSchema("""
                INSERT INTO {s}.relays AS r
                    (relay_id, incarnation, address, grpc_port, labels, registered_at, last_heartbeat, expires_at)
                VALUES (?, nextval('{s}.relay_incarnations'), ?, ?, jsonb_object(?::text[], ?::text[]), now(), now(), now() + %s)
                ON CONFLICT (relay_id) DO UPDATE SET
                    incarnation    = CASE WHEN r.expires_at > now() THEN r.incarnation ELSE excluded.incarnation END,
                    registered_at  = CASE WHEN r.expires_at > now() THEN r.registered_at ELSE now() END,
                    address        = excluded.address,
                    grpc_port      = excluded.grpc_port,
                    labels         = excluded.labels,
                    last_heartbeat = now(),
                    expires_at     = excluded.expires_at
                RETURNING expires_at""".formatted(TTL), schema);

        heartbeatRelay = inSchema("""
                UPDATE {s}.relays SET last_heartbeat = now(), expires_at = now() + %s
                FROM %s
                WHERE relay_id = ? AND expires_at > now()
                RETURNING expires_at""".formatted(TTL, ASYNC_COMMIT), schema);

        getRelay = inSchema("SELECT " + RELAY_COLUMNS + """

                FROM {s}.relays r
                WHERE r.relay_id = ? AND r.expires_at > now()""", schema);

        // Deleting the row ends the incarnation; its placements are invisible from this commit on
        // and the sweeper deletes them later.
        deregisterRelay = inSchema("DELETE FROM {s}.relays WHERE relay_id = ? AND expires_at > now()", schema);

        listRelays = inSchema("SELECT " + RELAY_COLUMNS + """

                FROM {s}.relays r
                WHERE r.relay_id > ? AND r.expires_at > now() AND r.labels @> jsonb_object(?::text[], ?::text[])
                ORDER BY r.relay_id
                LIMIT ?""", schema);

        // The relay row is share-locked so a concurrent deregistration either waits for this
        // placement (and ends it) or wins (and this finds no relay). The epoch is taken from the
        // sequence only in the conflict branch, after the placement row is locked, so concurrent
        // moves commit epochs in increasing order. The insert branch's value was taken before the
        // insert; that is safe because placement rows are never deleted while a statement that
        // started before their last write could still be running (see ExpirySweeper).
        registerAgent = inSchema("""
                WITH relay AS (
                    SELECT relay_id, incarnation FROM {s}.relays
                    WHERE relay_id = ? AND expires_at > now()
                    FOR KEY SHARE
                )
                INSERT INTO {s}.placements AS p (agent_id, relay_id, relay_incarnation, epoch, last_heartbeat, expires_at)
                SELECT ?, relay.relay_id, relay.incarnation, nextval('{s}.placement_epochs'), now(), now() + %s
                FROM relay
                ON CONFLICT (agent_id) DO UPDATE SET
                    epoch = CASE
                        WHEN p.relay_id = excluded.relay_id AND p.relay_incarnation = excluded.relay_incarnation
                             AND p.expires_at > now()
                        THEN p.epoch
                        ELSE nextval('{s}.placement_epochs') END,
                    relay_id          = excluded.relay_id,
                    relay_incarnation = excluded.relay_incarnation,
                    last_heartbeat    = excluded.last_heartbeat,
                    expires_at        = excluded.expires_at
                RETURNING %s""".formatted(TTL, PLACEMENT_COLUMNS), schema);

        // One statement answers all three outcomes from the one locked row: a refused heartbeat
        // rewrites the row unchanged instead of needing a second read that could see another state.
        String admitted = "(fence.relay_id IS NULL OR p.relay_id = fence.relay_id) AND (fence.epoch = 0 OR p.epoch = fence.epoch)";
        heartbeatAgent = inSchema("""
                UPDATE {s}.placements p SET
                    last_heartbeat = CASE WHEN %1$s THEN now() ELSE p.last_heartbeat END,
                    expires_at     = CASE WHEN %1$s THEN now() + fence.ttl_ms * interval '1 millisecond' ELSE p.expires_at END
                FROM (VALUES (?::text, ?::bigint, ?::bigint)) AS fence (relay_id, epoch, ttl_ms), %3$s
                WHERE p.agent_id = ? AND p.expires_at > now() AND %2$s
                RETURNING p.relay_id, p.epoch, p.expires_at, %1$s AS renewed""".formatted(admitted, ON_LIVE_RELAY, ASYNC_COMMIT), schema);

        // heartbeatAgent for many distinct agents, each with its own fence: a row per visible
        // placement, renewed or left alone as that statement would. The rows are locked in id order
        // first (the count makes the CTE run whole before the update), so two batches on
        // overlapping agents (two registry servers) never deadlock. The ids are also given as
        // "= ANY" to the update itself, so it finds its rows through the primary key.
        heartbeatAgentBatch = inSchema("""
                WITH locked AS MATERIALIZED (
                    SELECT p.agent_id FROM {s}.placements p
                    WHERE p.agent_id = ANY (?::text[])
                    ORDER BY p.agent_id
                    FOR UPDATE
                )
                UPDATE {s}.placements p SET
                    last_heartbeat = CASE WHEN %1$s THEN now() ELSE p.last_heartbeat END,
                    expires_at     = CASE WHEN %1$s THEN now() + ?::bigint * interval '1 millisecond' ELSE p.expires_at END
                FROM unnest(?::text[], ?::text[], ?::bigint[]) AS fence (agent_id, relay_id, epoch), %3$s
                WHERE (SELECT count(*) FROM locked) >= 0
                  AND p.agent_id = ANY (?::text[]) AND p.agent_id = fence.agent_id AND p.expires_at > now() AND %2$s
                RETURNING p.agent_id, p.relay_id, p.epoch, p.expires_at, %1$s AS renewed""".formatted(admitted, ON_LIVE_RELAY, ASYNC_COMMIT), schema);

        // No row when the relay is not live; otherwise the new expiry and the ids renewed.
        heartbeatAgents = inSchema("""
                WITH relay AS (
                    SELECT relay_id, incarnation, now() + %s AS renewed_until FROM {s}.relays, %s
                    WHERE relay_id = ? AND expires_at > now()
                ), renewed AS (
                    UPDATE {s}.placements p SET last_heartbeat = now(), expires_at = relay.renewed_until
                    FROM relay
                    WHERE p.agent_id = ANY (?::text[]) AND p.relay_id = relay.relay_id
                      AND p.relay_incarnation = relay.incarnation AND p.expires_at > now()
                    RETURNING p.agent_id
                )
                SELECT relay.renewed_until, ARRAY(SELECT agent_id FROM renewed) FROM relay""".formatted(TTL, ASYNC_COMMIT), schema);

        // '-infinity' rather than now(): an ended placement stays ended whatever the clock does.
        // A fenced call rewrites the row unchanged, for the same reason as heartbeatAgent.
        deregisterAgent = inSchema("""
                UPDATE {s}.placements p SET
                    expires_at = CASE WHEN p.relay_id = owner.relay_id THEN '-infinity' ELSE p.expires_at END
                FROM (VALUES (?::text)) AS owner (relay_id)
                WHERE p.agent_id = ? AND p.expires_at > now() AND %s
                RETURNING p.relay_id, p.relay_id = owner.relay_id AS removed""".formatted(ON_LIVE_RELAY), schema);

        getPlacement = inSchema("SELECT " + PLACEMENT_COLUMNS + ", " + RELAY_COLUMNS + """

                FROM %s
                WHERE p.agent_id = ? AND p.expires_at > now()""".formatted(VISIBLE_PLACEMENTS), schema);

        getPlacements = inSchema("SELECT " + PLACEMENT_COLUMNS + """

                FROM %s
                WHERE p.agent_id = ANY (?::text[]) AND p.expires_at > now()""".formatted(VISIBLE_PLACEMENTS), schema);

        // getPlacement for many agents: each visible placement with its relay, whose record (and
        // its agent count) is built once per relay rather than once per agent.
        getPlacementBatch = inSchema("""
                WITH found AS MATERIALIZED (
                    SELECT %s FROM %s
                    WHERE p.agent_id = ANY (?::text[]) AND p.expires_at > now()
                ), live AS MATERIALIZED (
                    SELECT %s FROM {s}.relays r
                    WHERE r.relay_id = ANY (ARRAY(SELECT DISTINCT relay_id FROM found)) AND r.expires_at > now()
                )
                SELECT found.*, live.* FROM found JOIN live ON live.relay_id = found.relay_id"""
                .formatted(PLACEMENT_COLUMNS, VISIBLE_PLACEMENTS, RELAY_COLUMNS), schema);

        listAgents = inSchema("SELECT " + PLACEMENT_COLUMNS + """

                FROM %s
                WHERE p.agent_id > ? AND p.expires_at > now()
                ORDER BY p.agent_id
                LIMIT ?""".formatted(VISIBLE_PLACEMENTS), schema);

        // The live incarnation as a scalar, not a join, so the index (relay_id, relay_incarnation,
        // agent_id) yields the page in order and the scan stops after it.
        listAgentsOfRelay = inSchema("SELECT " + PLACEMENT_COLUMNS + """

                FROM {s}.placements p
                WHERE p.relay_id = ?
                  AND p.relay_incarnation = (SELECT r.incarnation FROM {s}.relays r WHERE r.relay_id = ? AND r.expires_at > now())
                  AND p.agent_id > ? AND p.expires_at > now()
                ORDER BY p.agent_id
                LIMIT ?""", schema);

        probe = inSchema("SELECT max(version) FROM {s}.schema_version", schema);

        // SKIP LOCKED: the sweeper of one registry server never waits for requests or for the
        // sweepers of the others; rows locked right now are taken by a later sweep. "= ANY (ARRAY(...))"
        // makes the batch one up-front list deleted through the primary key; "IN (...)" gets planned
        // as a second scan of the whole table.
        deleteExpiredRelays = inSchema("""
                DELETE FROM {s}.relays WHERE relay_id = ANY (ARRAY(
                    SELECT relay_id FROM {s}.relays
                    WHERE expires_at <= now()
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED))""", schema);

        // Rows invisible (expired, ended, or on an ended relay incarnation) and untouched for the
        // grace, among the next chunk of the table in key order: each statement reads a bounded
        // range through the primary key instead of scanning the whole table, so it stays short
        // whatever the table's size. The chunk is read once; only its ended rows are locked (their
        // condition checked again on the locked row) and deleted. "= ANY (ARRAY(...))" goes through
        // the primary key (a join gets planned as a hash of the whole table). Returns the chunk's
        // last id (null past the end) and the rows deleted.
        String ended = "p.last_heartbeat < now() - %s AND (p.expires_at <= now() OR NOT %s)".formatted(TTL, ON_LIVE_RELAY);
        deleteEndedPlacements = inSchema("""
                WITH chunk AS (
                    SELECT p.agent_id, %1$s AS ended FROM {s}.placements p
                    WHERE p.agent_id > ? ORDER BY p.agent_id LIMIT ?
                ), locked AS (
                    SELECT p.agent_id FROM {s}.placements p
                    WHERE p.agent_id = ANY (ARRAY(SELECT agent_id FROM chunk WHERE ended)) AND %1$s
                    FOR UPDATE OF p SKIP LOCKED
                ), deleted AS (
                    DELETE FROM {s}.placements WHERE agent_id = ANY (ARRAY(SELECT agent_id FROM locked))
                    RETURNING 1
                )
                SELECT (SELECT max(agent_id) FROM chunk), (SELECT count(*) FROM deleted)""".formatted(ended), schema);
    }

    /** The template with its tables in {@code schema}, quoted so that even a keyword works as a name. */
    static String inSchema(String template, String schema) {
        return template.replace(SCHEMA, quoted(schema));
    }

    static String quoted(String schema) {
        return '"' + schema + '"';
    }
}
