/**
 * Change feeds: how a backend tells watchers what changed, including expiries, without being
 * polled. A backend without a native feed inherits
 * {@link io.aeroarc.registry.spi.feed.PollingChangeFeed}, which lists and compares; a backend with
 * a storage-side change log (a stream, a watch, a change table) overrides
 * {@link io.aeroarc.registry.spi.RegistryBackend#changeFeed(io.aeroarc.registry.spi.BackendContext)}.
 * A backend that keeps its change log in process may build its feed on
 * {@link io.aeroarc.registry.spi.feed.ChangeRing} (the kept changes, positions, resuming) and
 * {@link io.aeroarc.registry.spi.feed.RingSubscription} (a subscriber's cursor and its delivery),
 * as the polling feed and the memory backend's feed do.
 * The backend TCK's {@code ChangeFeedTck} holds every feed to the contract of {@link
 * io.aeroarc.registry.spi.feed.ChangeFeed}.
 */
package io.aeroarc.registry.spi.feed;
