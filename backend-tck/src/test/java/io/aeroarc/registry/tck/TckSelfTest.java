package io.aeroarc.registry.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.RegistryBackend;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.discovery.MethodSelector;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * The TCK proves it can fail: a naive reference backend passes every rule, and each deliberately
 * broken backend fails the rules it breaks.
 */
class TckSelfTest {

    /** Runs the TCK against {@link ReferenceBackend}; shares storage per namespace. */
    static class ReferenceVerification extends RegistryBackendTck {
        @Override
        protected RegistryBackend createBackend(BackendContext context, String namespace) {
            return new ReferenceBackend(context.clock(), namespace);
        }
    }

    abstract static class BrokenVerification extends RegistryBackendTck {
        private final Function<RegistryBackend, RegistryBackend> breakage;

        BrokenVerification(Function<RegistryBackend, RegistryBackend> breakage) {
            this.breakage = breakage;
        }

        @Override
        protected RegistryBackend createBackend(BackendContext context, String namespace) {
            return breakage.apply(new ReferenceBackend(context.clock(), namespace));
        }
    }

    static class NeverExpiringVerification extends BrokenVerification {
        NeverExpiringVerification() {
            super(BrokenBackends.NeverExpiring::new);
        }
    }

    static class ConstantEpochVerification extends BrokenVerification {
        ConstantEpochVerification() {
            super(BrokenBackends.ConstantEpoch::new);
        }
    }

    static class FenceIgnoringVerification extends BrokenVerification {
        FenceIgnoringVerification() {
            super(BrokenBackends.FenceIgnoring::new);
        }
    }

    static class InclusivePagingVerification extends BrokenVerification {
        InclusivePagingVerification() {
            super(BrokenBackends.InclusivePaging::new);
        }
    }

    static class BatchFenceIgnoringVerification extends BrokenVerification {
        BatchFenceIgnoringVerification() {
            super(BrokenBackends.BatchFenceIgnoring::new);
        }
    }

    static class BatchLookupOutOfOrderVerification extends BrokenVerification {
        BatchLookupOutOfOrderVerification() {
            super(BrokenBackends.BatchLookupOutOfOrder::new);
        }
    }

    @Test
    void the_reference_backend_passes_every_rule() {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(ReferenceVerification.class)).execute().testEvents();

        assertThat(tests.failed().stream().map(TckSelfTest::describe).toList()).isEmpty();
        assertThat(tests.succeeded().count()).isEqualTo(ruleCount() - 1);
        assertThat(tests.skipped().count() + tests.aborted().count()).as("only the outage rule is skipped").isEqualTo(1);
    }

    @Test
    void a_backend_that_never_expires_fails_the_ttl_rules() {
        assertFails(NeverExpiringVerification.class,
                "ttl_relay_is_live_until_its_expiry_and_absent_from_every_read_after",
                "ttl_agent_is_visible_until_its_expiry_and_absent_from_every_read_after",
                "ttl_relay_expiry_ends_its_placements");
    }

    @Test
    void a_backend_whose_epochs_do_not_move_fails_the_epoch_rules() {
        assertFails(ConstantEpochVerification.class,
                "agent_move_to_another_relay_increases_the_epoch_and_moves_it_between_relay_lists",
                "agent_epoch_keeps_increasing_when_the_placement_is_created_again",
                "concurrency_racing_moves_of_one_agent_leave_one_placement_with_increasing_epochs");
    }

    @Test
    void a_backend_that_ignores_fences_fails_the_fence_rule() {
        assertFails(FenceIgnoringVerification.class, "agent_heartbeat_with_a_fence_renews_only_the_matching_placement");
    }

    @Test
    void a_backend_whose_pages_overlap_fails_the_paging_rules() {
        assertFails(InclusivePagingVerification.class,
                "paging_a_pass_returns_every_entry_once_in_order_whatever_the_page_size",
                "paging_while_entries_change_never_repeats_an_entry_in_one_pass");
    }

    @Test
    void a_backend_whose_heartbeat_batches_ignore_fences_fails_the_batch_heartbeat_rules() {
        assertFails(BatchFenceIgnoringVerification.class,
                "batch_heartbeat_answers_each_item_as_a_single_call_would",
                "batch_heartbeat_mixes_live_expired_moved_and_unknown_agents_in_one_batch",
                "batch_heartbeat_applies_each_items_own_fence",
                "batch_duplicates_are_answered_once_per_occurrence",
                "shared_concurrent_batches_through_two_instances_answer_every_item");
    }

    @Test
    void a_backend_whose_lookup_batches_reorder_answers_fails_the_batch_lookup_rules() {
        assertFails(BatchLookupOutOfOrderVerification.class,
                "batch_lookup_answers_each_id_as_get_placement_would",
                "batch_duplicates_are_answered_once_per_occurrence",
                "shared_concurrent_batches_through_two_instances_answer_every_item");
    }

    private static void assertFails(Class<? extends RegistryBackendTck> verification, String... rules) {
        MethodSelector[] selectors = Arrays.stream(rules).map(rule -> selectMethod(verification, rule)).toArray(MethodSelector[]::new);
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectors).execute().testEvents();

        assertThat(tests.started().count()).as("rules run").isEqualTo(rules.length);
        assertThat(tests.failed().stream().map(event -> event.getTestDescriptor().getLegacyReportingName()).toList())
                .as("rules failed by %s", verification.getSimpleName())
                .containsExactlyInAnyOrder(Arrays.stream(rules).map(rule -> rule + "()").toArray(String[]::new));
    }

    private static long ruleCount() {
        List<Method> rules = Arrays.stream(RegistryBackendTck.class.getDeclaredMethods())
                .filter(method -> method.isAnnotationPresent(Test.class)).toList();
        return rules.size();
    }

    private static String describe(Event event) {
        return event.getTestDescriptor().getDisplayName() + ": " + event.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).map(Throwable::toString).orElse("?");
    }
}
