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

    /** {@code changes.kind}: what {@link ChangeRows} makes of a row. */
    static final int RELAY_UPSERTED = 1;
    static final int RELAY_REMOVED = 2;
    static final int PLACEMENT_UPSERTED = 3;
    static final int PLACEMENT_REMOVED = 4;
    /** {@code changes.reason} of removals. */
    static final int EXPIRED = 1;
    static final int DEREGISTERED = 2;

    /** The columns every change insert names, in this order. */
    private static final String CHANGE_COLUMNS =
            "kind, relay_id, agent_id, epoch, address, grpc_port, labels, registered_at, last_heartbeat, expires_at, reason, at";

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
    final String reportExpiredRelays;
    final String reportExpiredPlacements;
    final String deleteEndedPlacements;
    final String trimChanges;
    final String readChanges;
    final String feedStart;
    final String changeWriters;
    final String changeWritersGone;
    final String latestChange;

    Sql(String schema) {
        // A relay that was not live gets a new incarnation (taken from the sequence even when
        // unused), which orphans the placements of the old one for good.
        // A relay that was not live gets a new incarnation (taken from the sequence even when
        // unused), which orphans the placements of the old one for good.
        //
        // The change log: the relay's row as it was is read first, locked (so it is the latest
        // version, not the statement's snapshot), then upserted; a new incarnation or new
        // address, port or labels is a change, a renewal is not. An expired row still there is an
        // expiry the reporter has not reported yet (it deletes the rows it reports), so it is
        // reported here, before the new incarnation. Returns the expiry and the changes written.
        registerRelay = inSchema("""
                WITH input AS (
                    SELECT ?::text AS relay_id, ?::text AS address, ?::integer AS grpc_port,
                           jsonb_object(?::text[], ?::text[]) AS labels, ?::bigint * interval '1 millisecond' AS ttl
                ), old AS MATERIALIZED (
                    SELECT r.relay_id, r.address, r.grpc_port, r.labels, r.registered_at, r.expires_at, r.expires_at > now() AS live
                    FROM {s}.relays r, input WHERE r.relay_id = input.relay_id
                    FOR UPDATE OF r
                ), up AS (
                    INSERT INTO {s}.relays AS r
                        (relay_id, incarnation, address, grpc_port, labels, registered_at, last_heartbeat, expires_at)
                    SELECT input.relay_id, nextval('{s}.relay_incarnations'), input.address, input.grpc_port, input.labels,
                           now(), now(), now() + input.ttl
                    FROM input, (SELECT count(*) FROM old) AS old_read_first
                    ON CONFLICT (relay_id) DO UPDATE SET
                        incarnation    = CASE WHEN r.expires_at > now() THEN r.incarnation ELSE excluded.incarnation END,
                        registered_at  = CASE WHEN r.expires_at > now() THEN r.registered_at ELSE now() END,
                        address        = excluded.address,
                        grpc_port      = excluded.grpc_port,
                        labels         = excluded.labels,
                        last_heartbeat = now(),
                        expires_at     = excluded.expires_at
                    RETURNING r.relay_id, r.address, r.grpc_port, r.labels, r.registered_at, r.last_heartbeat, r.expires_at
                ), logged AS (
                    INSERT INTO {s}.changes (%1$s)
                    SELECT %1$s FROM (
                        SELECT 1 AS turn, %2$d AS kind, old.relay_id, NULL::text AS agent_id, NULL::bigint AS epoch,
                               NULL::text AS address, NULL::integer AS grpc_port, NULL::jsonb AS labels, old.registered_at,
                               NULL::timestamptz AS last_heartbeat, NULL::timestamptz AS expires_at, %3$d AS reason, old.expires_at AS at
                        FROM old JOIN up ON true WHERE NOT old.live
                        UNION ALL
                        SELECT 2, %4$d, up.relay_id, NULL, NULL, up.address, up.grpc_port, up.labels, up.registered_at,
                               up.last_heartbeat, up.expires_at, NULL, now()
                        FROM up LEFT JOIN old ON true
                        WHERE old.relay_id IS NULL OR NOT old.live OR old.address <> up.address
                           OR old.grpc_port <> up.grpc_port OR old.labels <> up.labels
                    ) change ORDER BY turn
                    RETURNING 1
                )
                SELECT up.expires_at, (SELECT count(*) FROM logged) FROM up""".formatted(
                        CHANGE_COLUMNS, RELAY_REMOVED, EXPIRED, RELAY_UPSERTED), schema);

        heartbeatRelay = inSchema("""
                UPDATE {s}.relays SET last_heartbeat = now(), expires_at = now() + %s
                FROM %s
                WHERE relay_id = ? AND expires_at > now()
                RETURNING expires_at""".formatted(TTL, ASYNC_COMMIT), schema);

        getRelay = inSchema("SELECT " + RELAY_COLUMNS + """

                FROM {s}.relays r
                WHERE r.relay_id = ? AND r.expires_at > now()""", schema);

        // Deleting the row ends the incarnation; its placements are invisible from this commit on
        // (their end is implied by the relay's in the change log) and the sweeper deletes them later.
        deregisterRelay = inSchema("""
                WITH gone AS (
                    DELETE FROM {s}.relays WHERE relay_id = ? AND expires_at > now()
                    RETURNING relay_id, registered_at
                ), logged AS (
                    INSERT INTO {s}.changes (kind, relay_id, registered_at, reason, at)
                    SELECT %d, relay_id, registered_at, %d, now() FROM gone
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM logged)""".formatted(RELAY_REMOVED, DEREGISTERED), schema);

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
        //
        // The change log: every new epoch is a change, a renewal (same epoch) is not and leaves
        // expiry_check alone, so it stays a heap-only update. The epoch is new exactly when it is
        // the last one this session drew (the insert's value, or the one drawn in the conflict
        // branch; a kept epoch is older than the value drawn for the insert), which holds even
        // when the row was created concurrently after this statement's snapshot. The placement as
        // it was is read first, locked: one that expired on a live relay and whose expiry is not
        // reported yet (expiry_check not 'infinity') is reported here, before its new epoch.
        // Returns the placement and the changes written.
        String sameEpoch = "p.relay_id = excluded.relay_id AND p.relay_incarnation = excluded.relay_incarnation AND p.expires_at > now()";
        registerAgent = inSchema("""
                WITH input AS (
                    SELECT ?::text AS relay_id, ?::text AS agent_id, ?::bigint * interval '1 millisecond' AS ttl
                ), relay AS (
                    SELECT r.relay_id, r.incarnation FROM {s}.relays r, input
                    WHERE r.relay_id = input.relay_id AND r.expires_at > now()
                    FOR KEY SHARE OF r
                ), old AS MATERIALIZED (
                    SELECT p.relay_id, p.epoch, p.expires_at,
                           p.expires_at <= now() AND p.expires_at > '-infinity' AND p.expiry_check <> 'infinity' AND %5$s AS unreported_expiry
                    FROM {s}.placements p, input WHERE p.agent_id = input.agent_id
                    FOR UPDATE OF p
                ), up AS (
                    INSERT INTO {s}.placements AS p (agent_id, relay_id, relay_incarnation, epoch, last_heartbeat, expires_at, expiry_check)
                    SELECT input.agent_id, relay.relay_id, relay.incarnation, nextval('{s}.placement_epochs'), now(),
                           now() + input.ttl, now() + input.ttl
                    FROM input, relay, (SELECT count(*) FROM old) AS old_read_first
                    ON CONFLICT (agent_id) DO UPDATE SET
                        epoch             = CASE WHEN %1$s THEN p.epoch ELSE nextval('{s}.placement_epochs') END,
                        expiry_check      = CASE WHEN %1$s THEN p.expiry_check ELSE excluded.expiry_check END,
                        relay_id          = excluded.relay_id,
                        relay_incarnation = excluded.relay_incarnation,
                        last_heartbeat    = excluded.last_heartbeat,
                        expires_at        = excluded.expires_at
                    RETURNING %2$s, epoch = currval('{s}.placement_epochs') AS new_epoch
                ), logged AS (
                    INSERT INTO {s}.changes (%3$s)
                    SELECT %3$s FROM (
                        SELECT 1 AS turn, %4$d AS kind, old.relay_id, up.agent_id, old.epoch, NULL::text AS address,
                               NULL::integer AS grpc_port, NULL::jsonb AS labels, NULL::timestamptz AS registered_at,
                               NULL::timestamptz AS last_heartbeat, NULL::timestamptz AS expires_at, %6$d AS reason, old.expires_at AS at
                        FROM old JOIN up ON up.new_epoch WHERE old.unreported_expiry
                        UNION ALL
                        SELECT 2, %7$d, up.relay_id, up.agent_id, up.epoch, NULL, NULL, NULL, NULL,
                               up.last_heartbeat, up.expires_at, NULL, now()
                        FROM up WHERE up.new_epoch
                    ) change ORDER BY turn
                    RETURNING 1
                )
                SELECT up.agent_id, up.relay_id, up.epoch, up.last_heartbeat, up.expires_at, (SELECT count(*) FROM logged)
                FROM up""".formatted(
                        sameEpoch, PLACEMENT_COLUMNS.replace("p.", ""), CHANGE_COLUMNS, PLACEMENT_REMOVED, ON_LIVE_RELAY, EXPIRED,
                        PLACEMENT_UPSERTED), schema);

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
        // The end is logged with it and the expiry reporter told to leave the row alone.
        deregisterAgent = inSchema("""
                WITH ended AS (
                    UPDATE {s}.placements p SET
                        expires_at   = CASE WHEN p.relay_id = owner.relay_id THEN '-infinity' ELSE p.expires_at END,
                        expiry_check = CASE WHEN p.relay_id = owner.relay_id THEN 'infinity' ELSE p.expiry_check END
                    FROM (VALUES (?::text)) AS owner (relay_id)
                    WHERE p.agent_id = ? AND p.expires_at > now() AND %s
                    RETURNING p.agent_id, p.relay_id, p.epoch, p.relay_id = owner.relay_id AS removed
                ), logged AS (
                    INSERT INTO {s}.changes (kind, relay_id, agent_id, epoch, reason, at)
                    SELECT %d, relay_id, agent_id, epoch, %d, now() FROM ended WHERE removed
                    RETURNING 1
                )
                SELECT ended.relay_id, ended.removed, (SELECT count(*) FROM logged) FROM ended""".formatted(
                        ON_LIVE_RELAY, PLACEMENT_REMOVED, DEREGISTERED), schema);

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

        // The expiry reporter, every registry server's, several times a second. Claiming is
        // atomic with logging: an expired relay row is deleted (the change log now says it ended)
        // in the transaction that logs its expiry. SKIP LOCKED: reporters never wait for requests
        // or for each other; rows locked right now are taken by a later tick. So each expiry is
        // logged exactly once, whichever server sees it first. "= ANY (ARRAY(...))" makes the
        // batch one up-front list deleted through the primary key. The relays table is scanned:
        // it holds one row per relay (thousands), not per agent.
        reportExpiredRelays = inSchema("""
                WITH gone AS (
                    DELETE FROM {s}.relays WHERE relay_id = ANY (ARRAY(
                        SELECT relay_id FROM {s}.relays
                        WHERE expires_at <= now()
                        LIMIT ?
                        FOR UPDATE SKIP LOCKED))
                    RETURNING relay_id, registered_at, expires_at
                ), logged AS (
                    INSERT INTO {s}.changes (kind, relay_id, registered_at, reason, at)
                    SELECT %d, relay_id, registered_at, %d, expires_at FROM gone ORDER BY expires_at, relay_id
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM logged)""".formatted(RELAY_REMOVED, EXPIRED), schema);

        // Placements are not deleted at expiry (epochs need the rows for a grace, see
        // ExpirySweeper), so the reporter keeps expiry_check instead: it reads only the due rows
        // through their index, and for each either logs the expiry and sets 'infinity' (expired
        // on a live relay), or sets 'infinity' silently (ended with its relay: the relay's end
        // implies it), or moves the check to the current expiry (renewed meanwhile). A placement
        // is therefore looked at about once per TTL, not once per tick. Returns the rows checked
        // and the expiries logged.
        reportExpiredPlacements = inSchema("""
                WITH due AS (
                    SELECT p.agent_id FROM {s}.placements p
                    WHERE p.expiry_check <= now()
                    ORDER BY p.expiry_check
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED
                ), checked AS (
                    UPDATE {s}.placements p SET
                        expiry_check = CASE WHEN p.expires_at > now() AND %1$s THEN p.expires_at ELSE 'infinity' END
                    WHERE p.agent_id = ANY (ARRAY(SELECT agent_id FROM due))
                    RETURNING p.agent_id, p.relay_id, p.epoch, p.expires_at,
                              p.expires_at <= now() AND p.expires_at > '-infinity' AND %1$s AS expired
                ), logged AS (
                    INSERT INTO {s}.changes (kind, relay_id, agent_id, epoch, reason, at)
                    SELECT %2$d, relay_id, agent_id, epoch, %3$d, expires_at FROM checked WHERE expired
                    ORDER BY expires_at, agent_id
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM checked), (SELECT count(*) FROM logged)""".formatted(
                        ON_LIVE_RELAY, PLACEMENT_REMOVED, EXPIRED), schema);

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

        // Retention of the change log: among the oldest rows (a bounded range of the primary
        // key), those older than the age or beyond the newest count are deleted, and the trim
        // point moves past them in the same transaction, so a reader that needs a deleted
        // position learns it from the trim point in the snapshot it reads rows with. Parameters:
        // rows per statement, age in ms, rows kept. Returns the rows deleted.
        trimChanges = inSchema("""
                WITH oldest AS (
                    SELECT seq, at FROM {s}.changes ORDER BY seq LIMIT ?
                ), cut AS (
                    SELECT max(seq) AS upto FROM oldest
                    WHERE at < now() - ? * interval '1 millisecond'
                       OR seq <= (SELECT max(seq) FROM {s}.changes) - ?
                ), gone AS (
                    DELETE FROM {s}.changes WHERE seq <= (SELECT upto FROM cut) RETURNING 1
                ), moved AS (
                    UPDATE {s}.changes_trimmed SET through = greatest(through, (SELECT upto FROM cut))
                    WHERE (SELECT upto FROM cut) IS NOT NULL
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM moved)""", schema);

        // The feed: the trim point and the next changes after a position, read in one snapshot.
        // Always one row at least (the trim point); no change columns when there is none. The
        // one-row table is read with LIMIT 1: it is never analysed (one row, rarely updated), and
        // the planner's default guess of thousands of rows made this plan costly enough to be
        // JIT-compiled, which took longer than the read by a thousandfold.
        readChanges = inSchema("""
                SELECT t.through, c.seq, c.kind, c.relay_id, c.agent_id, c.epoch, c.address, c.grpc_port,
                       (SELECT array_agg(ARRAY[l.key, l.value]) FROM jsonb_each_text(c.labels) l),
                       c.registered_at, c.last_heartbeat, c.expires_at, c.reason, c.at
                FROM (SELECT through FROM {s}.changes_trimmed LIMIT 1) t
                LEFT JOIN LATERAL (SELECT * FROM {s}.changes WHERE seq > ? ORDER BY seq LIMIT ?) c ON true
                ORDER BY c.seq""", schema);

        // Where a subscription "from now" starts: the trim point, the newest visible position,
        // and the positions missing in the window before it (in flight or rolled back).
        feedStart = inSchema("""
                WITH top AS (
                    SELECT t.through, coalesce((SELECT max(seq) FROM {s}.changes), t.through) AS newest
                    FROM (SELECT through FROM {s}.changes_trimmed LIMIT 1) t
                )
                SELECT top.through, top.newest,
                       ARRAY(SELECT s FROM generate_series(greatest(top.through, top.newest - ?) + 1, top.newest) s
                             EXCEPT SELECT seq FROM {s}.changes WHERE seq > greatest(top.through, top.newest - ?)
                             ORDER BY 1)
                FROM top""", schema);

        // The transactions writing to the change log right now. Every statement that logs a
        // change holds this lock from before it draws a position until its commit is visible.
        changeWriters = inSchema("""
                SELECT coalesce(array_agg(virtualtransaction), '{}') FROM pg_locks
                WHERE locktype = 'relation' AND relation = '{s}.changes'::regclass AND mode = 'RowExclusiveLock'""", schema);
        changeWritersGone = inSchema("""
                SELECT NOT EXISTS (SELECT 1 FROM pg_locks
                    WHERE locktype = 'relation' AND relation = '{s}.changes'::regclass AND mode = 'RowExclusiveLock'
                      AND virtualtransaction = ANY (?::text[]))""", schema);

        // Whether a resume position was ever handed out by this schema's log.
        latestChange = inSchema("SELECT t.through, s.last_value FROM (SELECT through FROM {s}.changes_trimmed LIMIT 1) t, {s}.change_seqs s", schema);
    }

    /** The template with its tables in {@code schema}, quoted so that even a keyword works as a name. */
    static String inSchema(String template, String schema) {
        return template.replace(SCHEMA, quoted(schema));
    }

    static String quoted(String schema) {
        return '"' + schema + '"';
    }
}
