import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs one test class N times in a row in this JVM and prints one line per run: the flake check of
 * scripts/tck-repeat. Exit status 1 when any run had a failure.
 */
public final class TckRepeat {

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: TckRepeat TEST_CLASS RUNS");
            System.exit(2);
        }
        String testClass = args[0];
        int runs = Integer.parseInt(args[1]);
        Launcher launcher = LauncherFactory.create();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build();
        List<Long> millis = new ArrayList<>();
        int failedRuns = 0;
        for (int run = 1; run <= runs; run++) {
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            long start = System.nanoTime();
            launcher.execute(request, listener);
            long took = (System.nanoTime() - start) / 1_000_000;
            millis.add(took);
            TestExecutionSummary summary = listener.getSummary();
            System.out.printf("run %d/%d: %d passed, %d failed, %d skipped, %d ms%n", run, runs, summary.getTestsSucceededCount(),
                    summary.getTotalFailureCount(), summary.getTestsSkippedCount() + summary.getTestsAbortedCount(), took);
            for (TestExecutionSummary.Failure failure : summary.getFailures()) {
                String message = String.valueOf(failure.getException().getMessage());
                System.out.println("  FAILED " + failure.getTestIdentifier().getDisplayName() + ": "
                        + message.replace('\n', ' ').substring(0, Math.min(400, message.length())));
            }
            if (summary.getTotalFailureCount() > 0) {
                failedRuns++;
            }
            if (summary.getTestsFoundCount() == 0) {
                System.err.println("no tests found in " + testClass);
                System.exit(2);
            }
        }
        List<Long> sorted = millis.stream().sorted().toList();
        System.out.printf("%s: %d runs, %d with a failure; run time min %d ms, median %d ms, max %d ms%n", testClass, runs, failedRuns,
                sorted.get(0), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1));
        System.exit(failedRuns == 0 ? 0 : 1);
    }
}
