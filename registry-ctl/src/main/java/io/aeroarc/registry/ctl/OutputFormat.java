package io.aeroarc.registry.ctl;

/** {@code --output}: aligned columns for people, or one JSON document for scripts. */
enum OutputFormat {
    TABLE,
    JSON
}
