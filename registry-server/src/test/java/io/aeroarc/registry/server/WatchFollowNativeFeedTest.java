package io.aeroarc.registry.server;

/** {@link WatchFollowTest} on the memory backend's native change feed rather than the test's listing feed. */
class WatchFollowNativeFeedTest extends WatchFollowTest {

    @Override
    boolean nativeFeed() {
        return true;
    }
}
