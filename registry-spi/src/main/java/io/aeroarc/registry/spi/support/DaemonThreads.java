package io.aeroarc.registry.spi.support;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories for a backend's own threads: daemon threads, so a backend never keeps the JVM
 * alive, with names that say whose they are in thread dumps.
 */
public final class DaemonThreads {

    private DaemonThreads() {}

    /** Every thread is named {@code name}: for executors that run one thread. */
    public static ThreadFactory named(String name) {
        return runnable -> daemon(runnable, name);
    }

    /** Threads named {@code prefix0}, {@code prefix1}...: for pools; give a prefix such as {@code "mine-io-"}. */
    public static ThreadFactory numbered(String prefix) {
        AtomicInteger created = new AtomicInteger();
        return runnable -> daemon(runnable, prefix + created.getAndIncrement());
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }
}
