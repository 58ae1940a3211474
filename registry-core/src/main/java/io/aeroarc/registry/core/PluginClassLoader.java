package io.aeroarc.registry.core;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * The class loader of one plugin: the JDK first, the SPI ({@code io.aeroarc.registry.spi.*}) from
 * the server, and everything else from the plugin's own jars only. So a plugin's libraries never
 * clash with the server's (its Guava is its own), and it cannot lean by accident on a library the
 * server happens to bundle.
 *
 * <p>The parent is the platform class loader, so resources too (such as service files) come from
 * the JDK and the plugin only, never from the server's class path.
 */
final class PluginClassLoader extends URLClassLoader {

    static final String SPI_PACKAGE_PREFIX = "io.aeroarc.registry.spi.";

    static {
        registerAsParallelCapable();
    }

    private final ClassLoader server;

    PluginClassLoader(String name, URL[] jars, ClassLoader server) {
        super(name, jars, ClassLoader.getPlatformClassLoader());
        this.server = server;
    }

    @Override
    protected Class<?> loadClass(String className, boolean resolve) throws ClassNotFoundException {
        if (className.startsWith(SPI_PACKAGE_PREFIX)) {
            // One copy of the SPI for server and plugins, or the server could not call the plugin.
            return server.loadClass(className);
        }
        return super.loadClass(className, resolve);
    }
}
