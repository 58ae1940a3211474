package io.aeroarc.registry.tck;

/** Stops and restarts the storage server under a backend, on the same address, for the outage rules. */
public interface StorageControl {

    /** Stops the server; returns once it no longer answers. */
    void stop();

    /** Starts it again on the same address; returns once it answers. */
    void start();
}
