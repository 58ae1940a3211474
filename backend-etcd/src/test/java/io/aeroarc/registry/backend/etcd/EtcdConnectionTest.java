package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When the client is replaced, on an injected clock. The clients are real jetcd clients that never
 * connect: nothing here makes a call.
 */
class EtcdConnectionTest {

    private static final Duration BACKOFF_MAX = Duration.ofSeconds(2);

    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
    private final List<Client> built = new ArrayList<>();
    private final EtcdConnection connection = new EtcdConnection(this::newClient, BACKOFF_MAX, nanos::get);

    @AfterEach
    void close() {
        connection.close();
    }

    private Client newClient() {
        Client client = Client.builder().endpoints("http://127.0.0.1:1").build();
        built.add(client);
        return client;
    }

    private void at(long millis) {
        nanos.addAndGet(Duration.ofMillis(millis).toNanos());
    }

    @Test
    void the_client_is_replaced_once_calls_have_failed_for_the_backoff_max_and_then_at_most_once_per_backoff_max() {
        connection.unreachable();
        at(1_999);
        connection.unreachable();
        assertThat(connection.replacements()).as("failing for less than the backoff max").isZero();

        at(1);
        connection.unreachable();
        assertThat(connection.replacements()).isEqualTo(1);
        assertThat(connection.kv()).isSameAs(built.get(1).getKVClient());

        at(1_000);
        connection.unreachable();
        assertThat(connection.replacements()).as("replaced less than the backoff max ago").isEqualTo(1);
        at(1_000);
        connection.unreachable();
        assertThat(connection.replacements()).isEqualTo(2);
        assertThat(built).hasSize(3);
    }

    @Test
    void an_answer_ends_the_streak_of_failures() {
        connection.unreachable();
        at(1_500);
        connection.answered();
        at(1_000);
        connection.unreachable();
        at(1_500);
        connection.unreachable();
        assertThat(connection.replacements()).as("failing for 1.5s since the last answer").isZero();

        at(500);
        connection.unreachable();
        assertThat(connection.replacements()).isEqualTo(1);
    }

    @Test
    void a_closed_connection_builds_no_client() {
        connection.unreachable();
        connection.close();
        at(5_000);
        connection.unreachable();
        assertThat(connection.replacements()).isZero();
        assertThat(built).hasSize(1);
    }
}
