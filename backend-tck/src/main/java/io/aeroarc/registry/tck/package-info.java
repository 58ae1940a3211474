/**
 * The backend TCK: the contract every registry backend keeps, as JUnit rules a backend's test
 * class inherits.
 *
 * <p>Extend {@link io.aeroarc.registry.tck.RegistryBackendTck} and implement
 * {@link io.aeroarc.registry.tck.BackendTckSupport#createBackend createBackend} and
 * {@link io.aeroarc.registry.tck.BackendTckSupport#provider provider}; answer true from
 * {@link io.aeroarc.registry.tck.BackendTckSupport#usesContextClock usesContextClock} when every time
 * the backend keeps comes from {@code BackendContext.clock()}, so the rules run on a
 * {@link io.aeroarc.registry.tck.ManualClock} and never sleep.
 *
 * <p>The change feed ({@code RegistryBackend.changeFeed}) has its own suite: extend
 * {@link io.aeroarc.registry.tck.ChangeFeedTck} in a second test class with the same fixtures. A
 * backend without a native feed runs it against the SPI's default polling feed.
 *
 * <p>Dependencies, all of them at compile scope because the backend's test class extends the suite:
 * {@code registry-spi}, {@code junit-jupiter} (with its engine, so the build finds the rules) and
 * {@code assertj-core}. Add the TCK with {@code <scope>test</scope>}. It depends on no backend, on
 * no registry-core and on no polling library.
 *
 * <p>A failing rule says so first: {@code TCK rule <name> is broken; it promises: <area>: <name in
 * words>}, then the assertion that failed, which names what was expected.
 */
package io.aeroarc.registry.tck;
