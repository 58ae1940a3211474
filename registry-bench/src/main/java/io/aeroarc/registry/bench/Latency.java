package io.aeroarc.registry.bench;

import org.HdrHistogram.Histogram;

/** Latency percentiles of one measured phase, in microseconds. */
record Latency(long count, double p50Micros, double p99Micros, double p999Micros, double maxMicros, double meanMicros) {

    static final Latency NONE = new Latency(0, 0, 0, 0, 0, 0);

    /** @param nanos a histogram of nanoseconds */
    static Latency of(Histogram nanos) {
        if (nanos.getTotalCount() == 0) {
            return NONE;
        }
        return new Latency(nanos.getTotalCount(),
                micros(nanos.getValueAtPercentile(50)),
                micros(nanos.getValueAtPercentile(99)),
                micros(nanos.getValueAtPercentile(99.9)),
                micros(nanos.getMaxValue()),
                nanos.getMean() / 1000.0);
    }

    private static double micros(long nanos) {
        return nanos / 1000.0;
    }
}
