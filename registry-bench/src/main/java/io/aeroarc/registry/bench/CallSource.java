package io.aeroarc.registry.bench;

import com.google.common.util.concurrent.ListenableFuture;

/** Starts one asynchronous call each time it is asked; the future fails for a failed call. */
@FunctionalInterface
interface CallSource {

    ListenableFuture<?> start();
}
