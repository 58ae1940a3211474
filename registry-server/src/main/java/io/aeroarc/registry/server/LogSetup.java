package io.aeroarc.registry.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code --log-format} and {@code --log-level} to logback, configured by the jar's
 * logback.xml (one line per event on stdout, appender {@value #APPENDER}).
 */
final class LogSetup {

    enum Format { TEXT, JSON }

    static final String APPENDER = "STDOUT";
    static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

    private LogSetup() {}

    /** @throws IllegalArgumentException naming {@code source} when {@code text} is not a format */
    static Format parseFormat(String text, String source) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "text", "" -> Format.TEXT;
            case "json" -> Format.JSON;
            default -> throw new IllegalArgumentException("invalid " + source + " '" + text + "': expected text or json");
        };
    }

    /** @return empty for "" (logback.xml decides: REGISTRY_LOG_LEVEL, else INFO) */
    static Optional<String> parseLevel(String text, String source) {
        String level = text.trim().toLowerCase(Locale.ROOT);
        if (level.isEmpty()) {
            return Optional.empty();
        }
        if (!LEVELS.contains(level)) {
            throw new IllegalArgumentException("invalid " + source + " '" + text + "': expected one of trace, debug, info, warn, error, off");
        }
        return Optional.of(level);
    }

    /** Does nothing when logback is not the SLF4J backend (an embedding application's choice). */
    static void apply(Format format, Optional<String> level) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return;
        }
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        level.ifPresent(name -> root.setLevel(Level.toLevel(name)));
        if (format == Format.JSON) {
            Appender<ILoggingEvent> appender = root.getAppender(APPENDER);
            if (appender instanceof OutputStreamAppender<ILoggingEvent> stream) {
                JsonLineLayout layout = new JsonLineLayout();
                layout.setContext(context);
                layout.start();
                LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
                encoder.setContext(context);
                encoder.setCharset(StandardCharsets.UTF_8);
                encoder.setLayout(layout);
                encoder.start();
                stream.setEncoder(encoder);
            }
        }
    }
}
