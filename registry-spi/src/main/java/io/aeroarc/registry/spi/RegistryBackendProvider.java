package io.aeroarc.registry.spi;

/**
 * Entry point of a backend jar, found with {@link java.util.ServiceLoader}: list the
 * implementation class in {@code META-INF/services/io.aeroarc.registry.spi.RegistryBackendProvider}.
 * Operators select it by {@link #name()} with {@code --backend NAME}.
 */
public interface RegistryBackendProvider {

    /**
     * The version of this SPI. It changes only when a change breaks existing backends; the list of
     * changes is in the package documentation.
     */
    int SPI_VERSION = 2;

    /** The unique, lower-case name operators select this backend by, such as {@code redis}. */
    String name();

    /**
     * The SPI version this provider was compiled against: implement it as {@code return
     * SPI_VERSION;}. The compiler copies the constant into your class, so the registry learns
     * which version you built for and refuses, with a clear message, a provider built for another.
     */
    int spiVersion();

    /**
     * Creates a backend from the operator's {@code --backend-option} values.
     *
     * <p>Must not fail because the storage is unreachable right now: the backend then reports
     * through {@link RegistryBackend#probe()} and {@link BackendUnavailableException} and
     * recovers when the storage returns. Nor because the storage refuses the credentials: the
     * probe reports that as {@link BackendMisconfiguredException}, which the server turns into a
     * configuration error at start-up (exit status 2) and into NOT_SERVING later.
     *
     * @throws IllegalArgumentException when an option is unknown or malformed; the message names
     *     the option and is shown to the operator as is
     */
    RegistryBackend create(BackendOptions options, BackendContext context);
}
