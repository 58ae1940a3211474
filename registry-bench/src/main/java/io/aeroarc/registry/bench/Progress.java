package io.aeroarc.registry.bench;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;

/** One line per step on the console, so a long run shows where it is. */
final class Progress {

    private final PrintStream out;

    Progress(PrintStream out) {
        this.out = out;
    }

    void say(String line) {
        out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + line);
        out.flush();
    }
}
