package io.aeroarc.registry.bench;

import java.time.Duration;

/** How long a load phase warms up and then measures. */
record Phases(Duration warmup, Duration measure) {

    static void sleep(Duration duration) throws InterruptedException {
        long millis = duration.toMillis();
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }
}
