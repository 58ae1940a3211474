package io.aeroarc.registry.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.spi.RegistryBackendProvider;
import io.aeroarc.registry.spi.feed.ChangeFeed;
import io.aeroarc.registry.spi.feed.PollingChangeFeed;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
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

    /** Runs the TCK against {@link ReferenceBackend} on a manual clock; shares storage per namespace. */
    static class ReferenceVerification extends RegistryBackendTck {
        @Override
        protected RegistryBackend createBackend(BackendContext context, String namespace) {
            return new ReferenceBackend(context.clock(), namespace);
        }

        @Override
        protected Optional<RegistryBackendProvider> provider() {
            return Optional.of(new ReferenceBackendProvider());
        }

        @Override
        protected BackendOptions providerOptions(String namespace) {
            return BackendOptions.of(ReferenceBackendProvider.NAME, Map.of(ReferenceBackendProvider.NAMESPACE, namespace));
        }

        @Override
        protected boolean usesContextClock() {
            return true;
        }
    }

    /** The reference backend on the real clock, as backends using their storage's clock run. */
    static class RealClockReferenceVerification extends ReferenceVerification {
        @Override
        protected boolean usesContextClock() {
            return false;
        }
    }

    abstract static class BrokenVerification extends ReferenceVerification {
        private final Function<RegistryBackend, RegistryBackend> breakage;

        BrokenVerification(Function<RegistryBackend, RegistryBackend> breakage) {
            this.breakage = breakage;
        }

        @Override
        protected RegistryBackend createBackend(BackendContext context, String namespace) {
            return breakage.apply(new ReferenceBackend(context.clock(), namespace));
        }
    }

    /** A store that counts epochs from 1 instead of from the clock. */
    static class EpochFromOneVerification extends ReferenceVerification {
        @Override
        protected RegistryBackend createBackend(BackendContext context, String namespace) {
            return ReferenceBackend.countingFromOne(context.clock(), namespace);
        }
    }

    /** A provider that ignores options it does not know. */
    static class UnknownOptionsAcceptedVerification extends ReferenceVerification {
        @Override
        protected Optional<RegistryBackendProvider> provider() {
            return Optional.of(new ReferenceBackendProvider() {
                @Override
                protected void checkOptions(BackendOptions options) {
                    // broken on purpose: every option accepted
                }
            });
        }
    }

    /** A provider named with capitals. */
    static class UpperCaseNameVerification extends ReferenceVerification {
        @Override
        protected Optional<RegistryBackendProvider> provider() {
            return Optional.of(new ReferenceBackendProvider() {
                @Override
                public String name() {
                    return "Reference";
                }
            });
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

    static class BatchRegistrationLivenessIgnoringVerification extends BrokenVerification {
        BatchRegistrationLivenessIgnoringVerification() {
            super(BrokenBackends.BatchRegistrationLivenessIgnoring::new);
        }
    }

    static class BatchRegistrationReversedVerification extends BrokenVerification {
        BatchRegistrationReversedVerification() {
            super(BrokenBackends.BatchRegistrationReversed::new);
        }
    }

    /** The change-feed rules against the reference backend's polling feed (the SPI default), on a manual clock. */
    static class ReferenceFeedVerification extends ChangeFeedTck {
        static final int KEPT_CHANGES = 50;

        @Override
        protected RegistryBackend createBackend(BackendContext context, String namespace) {
            return new ReferenceBackend(context.clock(), namespace);
        }

        @Override
        protected Optional<RegistryBackendProvider> provider() {
            return Optional.of(new ReferenceBackendProvider());
        }

        @Override
        protected boolean usesContextClock() {
            return true;
        }

        @Override
        protected ChangeFeed openFeed(RegistryBackend instance) {
            return PollingChangeFeed.of(instance, context(), Duration.ofMillis(50), KEPT_CHANGES);
        }

        @Override
        protected OptionalInt feedKeptChanges() {
            return OptionalInt.of(KEPT_CHANGES);
        }
    }

    /** The change-feed rules against the default feed exactly as a backend inherits it, on the real clock. */
    static class RealClockReferenceFeedVerification extends ReferenceFeedVerification {
        @Override
        protected boolean usesContextClock() {
            return false;
        }

        @Override
        protected ChangeFeed openFeed(RegistryBackend instance) {
            return instance.changeFeed(context());
        }

        @Override
        protected OptionalInt feedKeptChanges() {
            return OptionalInt.empty();
        }
    }

    static class DroppingFeedVerification extends ReferenceFeedVerification {
        @Override
        protected ChangeFeed openFeed(RegistryBackend instance) {
            return BrokenFeeds.droppingOneChange(super.openFeed(instance));
        }
    }

    static class RepeatingFeedVerification extends ReferenceFeedVerification {
        @Override
        protected ChangeFeed openFeed(RegistryBackend instance) {
            return BrokenFeeds.repeatingChanges(super.openFeed(instance));
        }
    }

    static class ExpiryBlindFeedVerification extends ReferenceFeedVerification {
        @Override
        protected ChangeFeed openFeed(RegistryBackend instance) {
            return BrokenFeeds.neverReportingExpiry(super.openFeed(instance));
        }

        /** The expiry rules wait the expiry bound plus this before failing; keep the self-test short. */
        @Override
        protected Duration feedDeliveryBound() {
            return Duration.ofSeconds(2);
        }
    }

    @Test
    void the_polling_feed_of_the_reference_backend_passes_every_feed_rule_on_a_manual_clock() {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(ReferenceFeedVerification.class)).execute().testEvents();

        assertThat(tests.failed().stream().map(TckSelfTest::describe).toList()).isEmpty();
        assertThat(tests.succeeded().count()).isEqualTo(feedRuleCount() - 1);
        assertThat(tests.aborted().stream().map(event -> event.getTestDescriptor().getLegacyReportingName()).toList())
                .as("rules skipped: the one that stops the storage")
                .containsExactly("feed_storage_outage_reaches_subscribers_as_a_failure_and_resuming_after_it_loses_nothing()");
    }

    @Test
    void the_default_feed_of_the_reference_backend_passes_every_feed_rule_on_the_real_clock() {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(RealClockReferenceFeedVerification.class)).execute()
                .testEvents();

        assertThat(tests.failed().stream().map(TckSelfTest::describe).toList()).isEmpty();
        assertThat(tests.aborted().stream().map(event -> event.getTestDescriptor().getLegacyReportingName()).toList())
                .as("rules skipped: the one that stops the storage, and the window rule (100000 changes kept)")
                .containsExactlyInAnyOrder("feed_storage_outage_reaches_subscribers_as_a_failure_and_resuming_after_it_loses_nothing()",
                        "feed_resume_from_a_position_older_than_the_window_reports_a_gap()");
    }

    @Test
    void a_feed_that_drops_a_change_fails_the_once_and_in_order_rules() {
        assertFails(DroppingFeedVerification.class,
                "feed_every_change_is_reported_once_in_order_with_its_kind_and_reason",
                "feed_a_consumer_applying_every_change_ends_with_what_the_lists_say");
    }

    @Test
    void a_feed_that_repeats_changes_fails_the_once_and_in_order_rules() {
        assertFails(RepeatingFeedVerification.class,
                "feed_every_change_is_reported_once_in_order_with_its_kind_and_reason",
                "feed_a_consumer_applying_every_change_ends_with_what_the_lists_say",
                "feed_renewals_and_registrations_that_change_nothing_are_not_changes",
                "feed_shared_storage_each_instances_feed_reports_each_expiry_once");
    }

    @Test
    void a_feed_that_never_reports_expiry_fails_the_expiry_rules() {
        assertFails(ExpiryBlindFeedVerification.class,
                "feed_expiry_of_a_relay_is_reported_within_the_bound_with_no_call_touching_it",
                "feed_expiry_of_a_placement_is_reported_within_the_bound_with_no_call_touching_it",
                "feed_end_of_a_relay_ends_its_placements_implied_or_as_relay_gone",
                "feed_shared_storage_each_instances_feed_reports_each_expiry_once");
    }

    @Test
    void the_reference_backend_passes_every_rule_on_a_manual_clock_in_a_few_seconds() {
        long start = System.nanoTime();
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(ReferenceVerification.class)).execute().testEvents();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertPassesEveryRule(tests);
        // Not a speed target: a rule that sleeps on the manual clock would take seconds by itself.
        assertThat(took).as("whole suite on a manual clock; a rule sleeps").isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void the_reference_backend_passes_every_rule_on_the_real_clock() {
        assertPassesEveryRule(EngineTestKit.engine("junit-jupiter").selectors(selectClass(RealClockReferenceVerification.class))
                .execute().testEvents());
    }

    private static void assertPassesEveryRule(Events tests) {
        assertThat(tests.failed().stream().map(TckSelfTest::describe).toList()).isEmpty();
        assertThat(tests.succeeded().count()).isEqualTo(ruleCount() - 2);
        assertThat(tests.aborted().stream().map(event -> event.getTestDescriptor().getLegacyReportingName()).toList())
                .as("rules skipped: those that stop the storage")
                .containsExactlyInAnyOrder("outage_calls_fail_fast_while_the_storage_is_down_and_the_same_instance_recovers()",
                        "provider_create_succeeds_while_the_storage_is_down_and_the_backend_works_once_it_is_back()");
    }

    @Test
    void a_store_counting_epochs_from_one_fails_the_new_instance_epoch_rule() {
        assertFails(EpochFromOneVerification.class, "agent_epochs_of_a_new_instance_on_empty_storage_start_above_every_epoch_seen_before");
    }

    @Test
    void a_provider_accepting_unknown_options_fails_the_option_rule() {
        assertFails(UnknownOptionsAcceptedVerification.class,
                "provider_creates_a_backend_from_valid_options_and_refuses_an_unknown_option_naming_it");
    }

    @Test
    void a_provider_named_with_capitals_fails_the_name_rule() {
        assertFails(UpperCaseNameVerification.class, "provider_name_is_lower_case_and_unique_among_the_loaded_backends");
    }

    @Test
    void a_provider_missing_from_the_services_file_fails_the_services_rule() {
        assertFails(UpperCaseNameVerification.class, "provider_is_listed_in_the_services_file");
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

    @Test
    void a_backend_whose_registration_batches_ignore_relay_liveness_fails_the_batch_registration_rules() {
        assertFails(BatchRegistrationLivenessIgnoringVerification.class,
                "batch_registration_answers_each_item_as_a_single_call_would",
                "batch_registration_of_one_agent_twice_answers_the_later_item_as_seeing_the_earlier");
    }

    @Test
    void a_backend_whose_registration_batches_lose_the_list_order_fails_the_repeated_agent_rule() {
        assertFails(BatchRegistrationReversedVerification.class,
                "batch_registration_of_one_agent_twice_answers_the_later_item_as_seeing_the_earlier");
    }

    private static void assertFails(Class<? extends BackendTckSupport> verification, String... rules) {
        MethodSelector[] selectors = Arrays.stream(rules).map(rule -> selectMethod(verification, rule)).toArray(MethodSelector[]::new);
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectors).execute().testEvents();

        assertThat(tests.started().count()).as("rules run").isEqualTo(rules.length);
        assertThat(tests.failed().stream().map(event -> event.getTestDescriptor().getLegacyReportingName()).toList())
                .as("rules failed by %s", verification.getSimpleName())
                .containsExactlyInAnyOrder(Arrays.stream(rules).map(rule -> rule + "()").toArray(String[]::new));
        for (Event failed : tests.failed().list()) {
            String rule = failed.getTestDescriptor().getLegacyReportingName().replace("()", "");
            assertThat(describe(failed)).as("failure message of %s names the rule and its promise", rule)
                    .contains("TCK rule " + rule + " is broken; it promises: " + RulePromises.promise(rule))
                    .doesNotContain("Lambda").doesNotContain("$$");
        }
    }

    private static long ruleCount() {
        List<Method> rules = Arrays.stream(RegistryBackendTck.class.getDeclaredMethods())
                .filter(method -> method.isAnnotationPresent(Test.class)).toList();
        return rules.size();
    }

    private static long feedRuleCount() {
        return Arrays.stream(ChangeFeedTck.class.getDeclaredMethods()).filter(method -> method.isAnnotationPresent(Test.class)).count();
    }

    private static String describe(Event event) {
        return event.getTestDescriptor().getDisplayName() + ": " + event.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).map(Throwable::toString).orElse("?");
    }
}
