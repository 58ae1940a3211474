package io.aeroarc.registry.tck;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * Puts the broken rule and its promise in words in front of every failure of a TCK rule, so a
 * backend author reads "TCK rule paging_...: paging: while entries change never repeats an entry
 * in one pass" before the assertion's own detail. Skipped rules pass through unchanged.
 */
final class RulePromises implements TestExecutionExceptionHandler {

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        if (failure instanceof TestAbortedException) {
            throw failure;
        }
        String rule = context.getRequiredTestMethod().getName();
        AssertionError named = new AssertionError("TCK rule " + rule + " is broken; it promises: " + promise(rule)
                + System.lineSeparator() + failure.getClass().getSimpleName() + ": " + failure.getMessage(), failure);
        named.setStackTrace(failure.getStackTrace());
        throw named;
    }

    /** {@code area_words_of_the_rule} as "area: words of the rule". */
    static String promise(String rule) {
        int area = rule.indexOf('_');
        if (area < 0) {
            return rule;
        }
        return rule.substring(0, area) + ": " + rule.substring(area + 1).replace('_', ' ');
    }
}
