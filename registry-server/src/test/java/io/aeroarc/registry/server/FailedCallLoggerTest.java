package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Failed calls cannot flood the log: lines are rate limited per cause, expected outcomes only counted. */
class FailedCallLoggerTest {

    private static final String METHOD = "aeroarc.registry.v1.AeroRegistry/RegisterRelay";
    private static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 40000);

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final FailedCallLogger logger = new FailedCallLogger(nanos::get);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger calls = (Logger) LoggerFactory.getLogger(FailedCallLogger.LOGGER_NAME);

    @BeforeEach
    void capture() {
        lines.start();
        calls.addAppender(lines);
    }

    @AfterEach
    void release() {
        calls.detachAppender(lines);
    }

    @Test
    void a_flood_of_one_bad_request_logs_a_few_lines_per_window_then_how_many_were_suppressed() {
        for (int i = 0; i < 10_000; i++) {
            logger.failed(METHOD, PEER, Status.INVALID_ARGUMENT.withDescription("relay.relay_id: required"), nanos.get());
        }
        assertThat(lines.list).hasSize(FailedCallLogger.LINES_PER_WINDOW);
        assertThat(lines.list.get(0).getFormattedMessage())
                .isEqualTo(METHOD + " INVALID_ARGUMENT from /127.0.0.1:40000 in 0 ms: relay.relay_id: required (cause -)");
        assertThat(lines.list).allSatisfy(line -> assertThat(line.getThrowableProxy()).isNull());

        advance(FailedCallLogger.WINDOW);
        logger.failed(METHOD, PEER, Status.INVALID_ARGUMENT.withDescription("relay.relay_id: required"), nanos.get());
        List<String> after = lines.list.subList(FailedCallLogger.LINES_PER_WINDOW, lines.list.size()).stream()
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(after).hasSize(2);
        assertThat(after.get(0)).isEqualTo(METHOD + " INVALID_ARGUMENT: 9995 similar suppressed in the last 10 s (cause -)");
    }

    @Test
    void other_causes_are_limited_separately_and_only_internal_errors_carry_a_stack_trace() {
        for (int i = 0; i < 100; i++) {
            logger.failed(METHOD, PEER, Status.INVALID_ARGUMENT.withDescription("x"), nanos.get());
            logger.failed(METHOD, PEER, Status.UNAVAILABLE.withDescription("storage").withCause(new java.io.IOException("down")), nanos.get());
            logger.failed(METHOD, PEER, Status.INTERNAL.withDescription("bug").withCause(new IllegalStateException("bug")), nanos.get());
        }
        assertThat(lines.list).hasSize(3 * FailedCallLogger.LINES_PER_WINDOW);
        assertThat(lines.list).filteredOn(line -> line.getThrowableProxy() != null).hasSize(FailedCallLogger.LINES_PER_WINDOW)
                .allSatisfy(line -> assertThat(line.getFormattedMessage()).contains(" INTERNAL "));
        assertThat(lines.list).filteredOn(line -> line.getFormattedMessage().contains(" UNAVAILABLE "))
                .allSatisfy(line -> assertThat(line.getLevel().toString()).isEqualTo("WARN"));
    }

    @Test
    void not_found_and_failed_precondition_are_counted_and_summed_up_once_a_minute() {
        for (int i = 0; i < 50_000; i++) {
            logger.failed(METHOD, PEER, Status.NOT_FOUND.withDescription("relay r is not live; register it"), nanos.get());
            logger.failed(METHOD, PEER, Status.FAILED_PRECONDITION.withDescription("agent moved"), nanos.get());
        }
        assertThat(lines.list).isEmpty();
        assertThat(logger.expectedCount(Status.Code.NOT_FOUND)).isEqualTo(50_000);

        advance(FailedCallLogger.SUMMARY_INTERVAL);
        logger.failed(METHOD, PEER, Status.NOT_FOUND, nanos.get());
        assertThat(lines.list).singleElement().satisfies(line -> assertThat(line.getFormattedMessage())
                .startsWith("expected outcomes in the last 60 s").contains("NOT_FOUND 50001, FAILED_PRECONDITION 50000"));
    }

    @Test
    void descriptions_are_cut_and_stripped_of_control_characters() {
        logger.failed(METHOD, PEER, Status.INVALID_ARGUMENT.withDescription("a\nb" + "x".repeat(1000)), nanos.get());
        assertThat(lines.list.get(0).getFormattedMessage()).doesNotContain("\n").contains("a?b").hasSizeLessThan(400);
    }

    private void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }
}
