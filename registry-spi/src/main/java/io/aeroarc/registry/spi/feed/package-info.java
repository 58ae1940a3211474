/**
 * Change feeds: how a backend tells watchers what changed, including expiries, without being
 * polled. A backend without a native feed inherits
 * {@link io.aeroarc.registry.spi.feed.PollingChangeFeed}, which lists and compares; a backend with
 * a storage-side change log (a stream, a watch, a change table) overrides
 * {@link io.aeroarc.registry.spi.RegistryBackend#changeFeed(io.aeroarc.registry.spi.BackendContext)}.
 * The backend TCK's {@code ChangeFeedTck} holds every feed to the contract of {@link
 * io.aeroarc.registry.spi.feed.ChangeFeed}.
 */
package io.aeroarc.registry.spi.feed;
