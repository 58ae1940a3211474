package io.aeroarc.registry.backend.postgres;

import io.aeroarc.registry.spi.support.DaemonThreads;
import java.sql.Statement;
import java.time.Duration;

/**
 * Wakes the change feeds of every registry server on the database after this one logged changes:
 * one {@code NOTIFY} (no payload; readers select what is new) from a thread of its own, at most one
 * per {@link #SPACING}.
 *
 * <p>Not sent from the writing statements themselves: PostgreSQL serialises the commits of all
 * notifying transactions (a database-wide lock from before the commit until after it), which
 * would make every registration wait for the others' WAL flushes. Readers also poll, so a
 * notification lost here (this server stopping between a commit and its notify) delays changes
 * by at most one poll.
 */
final class ChangeNotifier implements AutoCloseable {

    /** Changes logged within it share one notification. */
    static final Duration SPACING = Duration.ofMillis(5);

    private static final System.Logger LOG = System.getLogger(ChangeNotifier.class.getName());

    private final Database database;
    private final String channel;
    private final String notify;
    private final Thread thread;
    private boolean pending;
    private boolean closed;
    /** Only the notifier thread touches it. */
    private boolean failing;

    ChangeNotifier(Database database, String schema) {
        this.database = database;
        this.channel = channel(schema);
        this.notify = "NOTIFY " + Sql.quoted(channel);
        this.thread = DaemonThreads.named("postgres-change-notifier").newThread(this::run);
        thread.start();
    }

    /** The channel the feeds LISTEN on. */
    String channel() {
        return channel;
    }

    /** The channel of a schema's change log: a quoted identifier, so at most 63 bytes. */
    static String channel(String schema) {
        String channel = "aeroarc_changes_" + schema;
        return channel.length() <= 63 ? channel : channel.substring(0, 63);
    }

    /** Called after a statement that logged {@code count} changes committed. */
    void logged(long count) {
        if (count <= 0) {
            return;
        }
        synchronized (this) {
            pending = true;
            notifyAll();
        }
    }

    private void run() {
        while (awaitPending()) {
            try {
                database.run("notify change feeds", connection -> {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute(notify);
                    }
                    return null;
                });
                if (failing) {
                    LOG.log(System.Logger.Level.INFO, "notifying the change feeds works again");
                    failing = false;
                }
            } catch (RuntimeException e) {
                // Readers poll as well; the next change tries again.
                if (!failing) {
                    LOG.log(System.Logger.Level.WARNING, "notifying the change feeds failed (they still poll): " + e);
                    failing = true;
                }
            }
            try {
                Thread.sleep(SPACING.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized boolean awaitPending() {
        while (!pending && !closed) {
            try {
                wait();
            } catch (InterruptedException e) {
                return false;
            }
        }
        pending = false;
        return !closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
