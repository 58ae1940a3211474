package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import java.time.Duration;

/**
 * {@code --backend postgres}: the registry in a PostgreSQL schema that several registry servers
 * share. Options: {@code url}, {@code user}, {@code password}, {@code pool-size}, {@code schema},
 * {@code timeout}; see the module README.
 */
public final class PostgresBackendProvider implements RegistryBackendProvider {

    public static final String NAME = "postgres";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public RegistryBackend create(BackendOptions options, BackendContext context) {
        PostgresSettings settings = PostgresSettings.from(options);
        return open(settings, ExpirySweeper.DELETE_GRACE, ExpirySweeper.INTERVAL);
    }

    /**
     * A backend whose sweeper keeps invisible placements for {@code deleteGrace} and runs every
     * {@code sweepInterval} ({@link Duration#ZERO}: never by itself, and no expiry reporter either).
     * Tests shorten both.
     */
    static PostgresBackend open(PostgresSettings settings, Duration deleteGrace, Duration sweepInterval) {
        return open(settings, deleteGrace, sweepInterval, sweepInterval.isZero() ? Duration.ZERO : ExpiryReporter.INTERVAL);
    }

    /** As above, with the expiry reporter ticking every {@code reportInterval} ({@link Duration#ZERO}: never by itself). */
    static PostgresBackend open(PostgresSettings settings, Duration deleteGrace, Duration sweepInterval, Duration reportInterval) {
        Sql sql = new Sql(settings.schema());
        Database database = new Database(PostgresPool.open(settings), new SchemaMigrations(settings.schema()), settings.timeout());
        database.migrateIfReachable();
        ChangeNotifier notifier = new ChangeNotifier(database, settings.schema());
        ExpirySweeper sweeper = new ExpirySweeper(database, sql, deleteGrace, sweepInterval);
        ExpiryReporter reporter = new ExpiryReporter(database, sql, notifier, reportInterval);
        return new PostgresBackend(database, sql, sweeper, notifier, reporter, new FeedConnections(settings));
    }
}
