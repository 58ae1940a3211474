package io.aeroarc.registry.bench;

/**
 * A blocking loop doing straight against the storage server the storage work of one registry RPC.
 *
 * @param comparedRpc the registry RPC doing the same storage work
 * @param description what one call sends, with the storage server's version
 * @param call one call; throws when it fails
 */
record RawLoop(String name, String comparedRpc, String description, int unitsPerCall, BlockingClosedLoop.BlockingCall call) {}
