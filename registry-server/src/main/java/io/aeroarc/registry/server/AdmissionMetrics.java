package io.aeroarc.registry.server;

/** What {@link CallAdmission} records: queue waits and refused calls, per lane. Must be cheap; never throws. */
interface AdmissionMetrics {

    AdmissionMetrics NONE = new AdmissionMetrics() {};

    /** A call got a thread after waiting {@code nanos} in its lane's queue. */
    default void queueWait(boolean liveness, long nanos) {}

    /** A call was shed: its lane's queue was full ({@code queueFull}) or it waited too long. */
    default void shed(boolean liveness, boolean queueFull) {}

    /** A call was not run because its deadline passed while it was queued. */
    default void expiredInQueue(boolean liveness) {}
}
