package io.aeroarc.registry.backend.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

/** The SQLSTATE table of {@link PostgresErrors}; the real database's answers are checked in registry-server's PostgresErrorClassesTest. */
class PostgresErrorsTest {

    @Test
    void outages_are_unavailable() {
        for (String state : new String[] {"08001", "08006", "57P01", "57014", "53300", "58030", "40001", "40P01", "55P03", "25006", "42P01",
                "3F000"}) {
            assertThat(classify(state)).as("SQLSTATE %s", state).isExactlyInstanceOf(BackendUnavailableException.class);
        }
        assertThat(classify(null)).as("no SQLSTATE: no answer").isExactlyInstanceOf(BackendUnavailableException.class);
    }

    @Test
    void refused_credentials_and_rights_are_a_misconfiguration() {
        for (String state : new String[] {"28P01", "28000", "42501", "3D000"}) {
            assertThat(classify(state)).as("SQLSTATE %s", state).isExactlyInstanceOf(BackendMisconfiguredException.class);
        }
    }

    @Test
    void anything_else_is_a_bug() {
        for (String state : new String[] {"42601", "42703", "23505", "22P02", "P0001", "XX000"}) {
            assertThat(classify(state)).as("SQLSTATE %s", state).isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(state);
        }
    }

    @Test
    void the_pools_wrapper_is_classified_by_the_state_of_its_cause() {
        SQLException refused = new SQLException("password authentication failed", "28P01");
        SQLException wrapped = new SQLTransientConnectionException("Connection is not available, request timed out", null, refused);
        assertThat(PostgresErrors.classify("probe", wrapped, "detail")).isExactlyInstanceOf(BackendMisconfiguredException.class);
    }

    private static RuntimeException classify(String state) {
        return PostgresErrors.classify("a call", new SQLException("failed", state), "detail");
    }
}
