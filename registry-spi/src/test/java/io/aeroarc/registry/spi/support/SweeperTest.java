package io.aeroarc.registry.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SweeperTest {

    @Test
    void sweeps_repeat_on_a_named_daemon_thread_and_survive_failures() {
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<Thread> thread = new AtomicReference<>();
        try (Sweeper sweeper = Sweeper.every(Duration.ofMillis(5), "test-sweeper", () -> {
            thread.set(Thread.currentThread());
            if (runs.incrementAndGet() % 2 == 1) {
                throw new IllegalStateException("storage away");
            }
        })) {
            await("several sweeps, failing and not").atMost(Duration.ofSeconds(10)).until(() -> runs.get() >= 4);
        }
        assertThat(thread.get().getName()).isEqualTo("test-sweeper");
        assertThat(thread.get().isDaemon()).isTrue();
    }

    @Test
    void close_ends_the_thread() {
        AtomicReference<Thread> thread = new AtomicReference<>();
        Sweeper sweeper = Sweeper.every(Duration.ofMillis(5), "closing-sweeper", () -> thread.set(Thread.currentThread()));
        await("a first sweep").atMost(Duration.ofSeconds(10)).until(() -> thread.get() != null);

        sweeper.close();

        await("the sweeper thread ends").atMost(Duration.ofSeconds(5)).until(() -> !thread.get().isAlive());
    }

    @Test
    void a_zero_interval_starts_no_thread() {
        AtomicInteger runs = new AtomicInteger();
        try (Sweeper sweeper = Sweeper.every(Duration.ZERO, "never", runs::incrementAndGet)) {
            assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("never"));
        }
        assertThat(runs).hasValue(0);
    }

    @Test
    void daemon_threads_are_named_for_their_owner() {
        Thread single = DaemonThreads.named("x-sweeper").newThread(() -> {});
        Thread first = DaemonThreads.numbered("x-pool-").newThread(() -> {});
        assertThat(single.getName()).isEqualTo("x-sweeper");
        assertThat(single.isDaemon()).isTrue();
        assertThat(first.getName()).isEqualTo("x-pool-0");
    }
}
