package io.aeroarc.registry.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs {@link SpiBenchmarks} with JMH's Runner API for one backend at one size. */
final class JmhRunner {

    /**
     * @param forks 0 runs in this JVM (quick smoke runs only: the numbers are not trustworthy)
     * @param forkHeap heap of each forked JVM, such as {@code 3g}
     */
    record Settings(int forks, int warmupIterations, Duration warmupTime, int measurementIterations, Duration measurementTime,
            String forkHeap) {}

    /**
     * One benchmark's score, per operation (per move for the move benchmark).
     *
     * @param nanosPerOp the median of the measurement iterations: a burst of other work on the
     *     machine spoils an iteration or two, which the median leaves out and the mean does not
     * @param meanNanos JMH's score, the mean of the iterations
     * @param errorNanos JMH's 99.9% confidence half-width of the mean; NaN with too few iterations
     */
    record Score(String backend, String benchmark, int agents, double nanosPerOp, double meanNanos, double errorNanos) {}

    private JmhRunner() {}

    static List<Score> run(String backend, int agents, Map<String, String> options, boolean fill, Settings settings, Path log) {
        Options jmh = new OptionsBuilder()
                .include(Pattern.quote(SpiBenchmarks.class.getName()) + "\\.")
                .param("backend", backend)
                .param("agents", Integer.toString(agents))
                .param("options", SpiDataset.formatOptions(options))
                .param("fill", Boolean.toString(fill))
                .forks(settings.forks())
                .warmupIterations(settings.warmupIterations())
                .warmupTime(TimeValue.milliseconds(settings.warmupTime().toMillis()))
                .measurementIterations(settings.measurementIterations())
                .measurementTime(TimeValue.milliseconds(settings.measurementTime().toMillis()))
                .jvmArgsAppend("-Xmx" + settings.forkHeap(), "-Xms" + settings.forkHeap())
                .shouldFailOnError(true)
                .output(log.toString())
                .build();
        Collection<RunResult> results;
        try {
            results = new Runner(jmh).run();
        } catch (RunnerException e) {
            throw new IllegalStateException("JMH failed for " + backend + " at " + agents + " agents; see " + log, e);
        }
        List<Score> scores = new ArrayList<>();
        for (RunResult result : results) {
            String method = result.getParams().getBenchmark();
            scores.add(new Score(backend, method.substring(method.lastIndexOf('.') + 1), agents,
                    result.getPrimaryResult().getStatistics().getPercentile(50), result.getPrimaryResult().getScore(),
                    result.getPrimaryResult().getScoreError()));
        }
        scores.sort(Comparator.comparing(Score::benchmark));
        return scores;
    }
}
