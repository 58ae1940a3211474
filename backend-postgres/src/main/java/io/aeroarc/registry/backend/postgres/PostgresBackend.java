package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.AgentDeregistration;
import io.aeroarc.registry.spi.AgentHeartbeat;
import io.aeroarc.registry.spi.AgentHeartbeatRequest;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BatchRenewal;
import io.aeroarc.registry.spi.CallDeadline;
import io.aeroarc.registry.spi.Fence;
import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import io.aeroarc.registry.spi.PlacementRecord;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RelayPlacement;
import io.aeroarc.registry.spi.RelayRecord;
import io.aeroarc.registry.spi.RelayRegistration;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.support.Paging;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The registry on PostgreSQL, shared by every registry server pointed at the same schema. Each
 * call is one statement of {@link Sql} in its own transaction; the README explains the schema,
 * the expiry and the epochs.
 *
 * <p>Times are Unix milliseconds of the database clock, so servers with skewed clocks agree.
 */
final class PostgresBackend implements RegistryBackend {

    private final Database database;
    private final Sql sql;
    private final ExpirySweeper sweeper;
    private final ChangeNotifier notifier;
    private final ExpiryReporter reporter;
    private final FeedConnections feedConnections;

    PostgresBackend(Database database, Sql sql, ExpirySweeper sweeper, ChangeNotifier notifier, ExpiryReporter reporter,
            FeedConnections feedConnections) {
        this.database = database;
        this.sql = sql;
        this.sweeper = sweeper;
        this.notifier = notifier;
        this.reporter = reporter;
        this.feedConnections = feedConnections;
    }

    /** Shares the pool, the sweeper and the reporter; the view's socket reads end by the call's deadline. */
    @Override
    public RegistryBackend boundedBy(CallDeadline deadline) {
        return new PostgresBackend(database.boundedBy(deadline), sql, sweeper, notifier, reporter, feedConnections);
    }

    /**
     * The change log (table {@code changes}), written in the transaction of each change, read by
     * position with a wake-up by LISTEN/NOTIFY; see {@link PostgresChangeFeed}.
     */
    @Override
    public ChangeFeed changeFeed(BackendContext context) {
        return new PostgresChangeFeed(database, sql, feedConnections, notifier.channel(), feedConnections.timeout());
    }

    @Override
    public long registerRelay(RelayRegistration relay, Duration ttl) {
        return database.run("register relay", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.registerRelay)) {
                List<String> keys = new ArrayList<>(relay.labels().keySet());
                statement.setString(1, relay.relayId());
                statement.setString(2, relay.address());
                statement.setInt(3, relay.grpcPort());
                statement.setArray(4, textArray(connection, keys));
                statement.setArray(5, textArray(connection, keys.stream().map(relay.labels()::get).toList()));
                statement.setLong(6, ttl.toMillis());
                try (ResultSet row = statement.executeQuery()) {
                    row.next();
                    notifier.logged(row.getLong(2));
                    return Rows.millis(row, 1);
                }
            }
        });
    }

    @Override
    public OptionalLong heartbeatRelay(String relayId, Duration ttl) {
        return database.run("heartbeat relay", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.heartbeatRelay)) {
                statement.setLong(1, ttl.toMillis());
                statement.setString(2, relayId);
                try (ResultSet row = statement.executeQuery()) {
                    return row.next() ? OptionalLong.of(Rows.millis(row, 1)) : OptionalLong.empty();
                }
            }
        });
    }

    @Override
    public Optional<RelayRecord> getRelay(String relayId) {
        return database.run("get relay", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.getRelay)) {
                statement.setString(1, relayId);
                try (ResultSet row = statement.executeQuery()) {
                    return row.next() ? Optional.of(Rows.relay(row, 1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public boolean deregisterRelay(String relayId) {
        return database.run("deregister relay", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.deregisterRelay)) {
                statement.setString(1, relayId);
                try (ResultSet row = statement.executeQuery()) {
                    row.next();
                    notifier.logged(row.getLong(2));
                    return row.getLong(1) > 0;
                }
            }
        });
    }

    @Override
    public Page<RelayRecord> listRelays(Map<String, String> labelSelector, PageRequest page) {
        return database.run("list relays", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.listRelays)) {
                List<String> keys = new ArrayList<>(labelSelector.keySet());
                statement.setString(1, page.afterId());
                statement.setArray(2, textArray(connection, keys));
                statement.setArray(3, textArray(connection, keys.stream().map(labelSelector::get).toList()));
                statement.setInt(4, Paging.fetchSize(page));
                List<RelayRecord> relays = new ArrayList<>();
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        relays.add(Rows.relay(rows, 1));
                    }
                }
                return Paging.of(relays, page);
            }
        });
    }

    @Override
    public Optional<PlacementRecord> registerAgent(String agentId, String relayId, Duration ttl) {
        return database.run("register agent", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.registerAgent)) {
                statement.setString(1, relayId);
                statement.setString(2, agentId);
                statement.setLong(3, ttl.toMillis());
                try (ResultSet row = statement.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    notifier.logged(row.getLong(Rows.PLACEMENT_COLUMN_COUNT + 1));
                    return Optional.of(Rows.placement(row, 1));
                }
            }
        });
    }

    @Override
    public AgentHeartbeat heartbeatAgent(String agentId, Fence fence, Duration ttl) {
        return database.run("heartbeat agent", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.heartbeatAgent)) {
                if (fence.relayId().isPresent()) {
                    statement.setString(1, fence.relayId().get());
                } else {
                    statement.setNull(1, Types.VARCHAR);
                }
                statement.setLong(2, fence.epoch());
                statement.setLong(3, ttl.toMillis());
                statement.setString(4, agentId);
                try (ResultSet row = statement.executeQuery()) {
                    if (!row.next()) {
                        return new AgentHeartbeat.NotFound();
                    }
                    if (row.getBoolean(4)) {
                        return new AgentHeartbeat.Renewed(Rows.millis(row, 3));
                    }
                    return new AgentHeartbeat.Fenced(row.getString(1), row.getLong(2));
                }
            }
        });
    }

    @Override
    public Optional<BatchRenewal> heartbeatAgents(String relayId, List<String> agentIds, Duration ttl) {
        return database.run("heartbeat agents", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.heartbeatAgents)) {
                statement.setLong(1, ttl.toMillis());
                statement.setString(2, relayId);
                statement.setArray(3, textArray(connection, agentIds));
                try (ResultSet row = statement.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    Set<String> renewed = new HashSet<>(Arrays.asList((String[]) row.getArray(2).getArray()));
                    List<String> lost = agentIds.stream().filter(id -> !renewed.contains(id)).toList();
                    return Optional.of(new BatchRenewal(Rows.millis(row, 1), lost));
                }
            }
        });
    }

    /**
     * One statement for the batch, or one per round when an agent appears more than once: round
     * {@code k} holds the {@code k}-th occurrence of each agent, so every statement touches each
     * row once and the occurrences are judged in list order.
     */
    @Override
    public List<AgentHeartbeat> heartbeatAgentBatch(List<AgentHeartbeatRequest> requests, Duration ttl) {
        if (requests.isEmpty()) {
            return List.of();
        }
        return database.run("heartbeat agent batch", connection -> {
            AgentHeartbeat[] results = new AgentHeartbeat[requests.size()];
            for (List<Integer> round : distinctRounds(requests)) {
                List<String> agentIds = new ArrayList<>(round.size());
                List<String> relayIds = new ArrayList<>(round.size());
                Long[] epochs = new Long[round.size()];
                for (int i = 0; i < round.size(); i++) {
                    AgentHeartbeatRequest request = requests.get(round.get(i));
                    agentIds.add(request.agentId());
                    relayIds.add(request.fence().relayId().orElse(null));
                    epochs[i] = request.fence().epoch();
                }
                Map<String, AgentHeartbeat> outcomes = new HashMap<>();
                try (PreparedStatement statement = connection.prepareStatement(sql.heartbeatAgentBatch)) {
                    java.sql.Array ids = textArray(connection, agentIds);
                    statement.setArray(1, ids);
                    statement.setLong(2, ttl.toMillis());
                    statement.setArray(3, ids);
                    statement.setArray(4, textArray(connection, relayIds));
                    statement.setArray(5, connection.createArrayOf("bigint", epochs));
                    statement.setArray(6, ids);
                    try (ResultSet rows = statement.executeQuery()) {
                        while (rows.next()) {
                            outcomes.put(rows.getString(1), rows.getBoolean(5)
                                    ? new AgentHeartbeat.Renewed(Rows.millis(rows, 4))
                                    : new AgentHeartbeat.Fenced(rows.getString(2), rows.getLong(3)));
                        }
                    }
                }
                for (int index : round) {
                    results[index] = outcomes.getOrDefault(requests.get(index).agentId(), new AgentHeartbeat.NotFound());
                }
            }
            return List.of(results);
        });
    }

    /** Indexes of {@code requests} in rounds in which no agent appears twice; one round without duplicates. */
    private static List<List<Integer>> distinctRounds(List<AgentHeartbeatRequest> requests) {
        List<List<Integer>> rounds = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            int round = seen.merge(requests.get(i).agentId(), 0, (before, zero) -> before + 1);
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(i);
        }
        return rounds;
    }

    @Override
    public AgentDeregistration deregisterAgent(String agentId, String relayId) {
        return database.run("deregister agent", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.deregisterAgent)) {
                statement.setString(1, relayId);
                statement.setString(2, agentId);
                try (ResultSet row = statement.executeQuery()) {
                    if (!row.next()) {
                        return new AgentDeregistration.NotFound();
                    }
                    notifier.logged(row.getLong(3));
                    if (row.getBoolean(2)) {
                        return new AgentDeregistration.Removed();
                    }
                    return new AgentDeregistration.Fenced(row.getString(1));
                }
            }
        });
    }

    @Override
    public Optional<RelayPlacement> getPlacement(String agentId) {
        return database.run("get placement", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.getPlacement)) {
                statement.setString(1, agentId);
                try (ResultSet row = statement.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new RelayPlacement(
                            Rows.placement(row, 1), Rows.relay(row, Rows.PLACEMENT_COLUMN_COUNT + 1)));
                }
            }
        });
    }

    @Override
    public List<Optional<RelayPlacement>> getPlacementBatch(List<String> agentIds) {
        if (agentIds.isEmpty()) {
            return List.of();
        }
        return database.run("get placement batch", connection -> {
            Map<String, RelayPlacement> found = new HashMap<>();
            try (PreparedStatement statement = connection.prepareStatement(sql.getPlacementBatch)) {
                statement.setArray(1, textArray(connection, agentIds));
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        RelayPlacement placement = new RelayPlacement(
                                Rows.placement(rows, 1), Rows.relay(rows, Rows.PLACEMENT_COLUMN_COUNT + 1));
                        found.put(placement.placement().agentId(), placement);
                    }
                }
            }
            List<Optional<RelayPlacement>> results = new ArrayList<>(agentIds.size());
            for (String agentId : agentIds) {
                results.add(Optional.ofNullable(found.get(agentId)));
            }
            return results;
        });
    }

    /** A batch holds one pooled connection for its statement; more batches than connections would only wait. */
    @Override
    public int batchConcurrency() {
        return database.poolSize();
    }

    @Override
    public List<PlacementRecord> getPlacements(List<String> agentIds) {
        if (agentIds.isEmpty()) {
            return List.of();
        }
        return database.run("get placements", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.getPlacements)) {
                statement.setArray(1, textArray(connection, agentIds));
                return placements(statement);
            }
        });
    }

    @Override
    public Page<PlacementRecord> listAgents(Optional<String> relayId, PageRequest page) {
        return database.run("list agents", connection -> {
            String query = relayId.isPresent() ? sql.listAgentsOfRelay : sql.listAgents;
            try (PreparedStatement statement = connection.prepareStatement(query)) {
                int parameter = 1;
                if (relayId.isPresent()) {
                    statement.setString(parameter++, relayId.get());
                    statement.setString(parameter++, relayId.get());
                }
                statement.setString(parameter++, page.afterId());
                statement.setInt(parameter, Paging.fetchSize(page));
                return Paging.of(placements(statement), page);
            }
        });
    }

    @Override
    public void probe() {
        database.run("probe", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.probe);
                    ResultSet row = statement.executeQuery()) {
                row.next();
                return null;
            }
        });
    }

    @Override
    public void close() {
        reporter.close();
        sweeper.close();
        notifier.close();
        database.close();
    }

    /**
     * Deletes rows no read can show any more (expired relays, logging their expiry, and ended
     * placements past the grace); the background reporter and sweeper call the same.
     */
    int sweepExpired() {
        return reporter.tick().relaysExpired() + sweeper.sweep();
    }

    /** One tick of the expiry reporter, as its background thread runs it. */
    ExpiryReporter.Tick reportExpiries() {
        return reporter.tick();
    }

    /** Trims the change log as the sweeper does, with the given retention. */
    int trimChanges(Duration age, long kept) {
        return sweeper.trimChanges(age, kept);
    }

    private static List<PlacementRecord> placements(PreparedStatement statement) throws SQLException {
        List<PlacementRecord> placements = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                placements.add(Rows.placement(rows, 1));
            }
        }
        return placements;
    }

    private static java.sql.Array textArray(Connection connection, List<String> values) throws SQLException {
        return connection.createArrayOf("text", values.toArray(new String[0]));
    }
}
