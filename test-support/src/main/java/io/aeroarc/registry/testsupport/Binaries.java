package io.aeroarc.registry.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds server executables on the PATH or in the usual package directories. */
public final class Binaries {

    private Binaries() {}

    /**
     * The first executable {@code name} on the PATH or in one of {@code extraDirs}. An extra
     * directory may hold one {@code /*}{@code /} step meaning "any subdirectory, greatest name
     * first", as in {@code /usr/lib/postgresql/*}{@code /bin}.
     */
    public static Optional<Path> find(String name, String... extraDirs) {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, name));
            }
        }
        for (String dir : extraDirs) {
            candidates.addAll(expand(dir, name));
        }
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    private static List<Path> expand(String dir, String name) {
        int star = dir.indexOf("/*/");
        if (star < 0) {
            return List.of(Path.of(dir, name));
        }
        Path parent = Path.of(dir.substring(0, star));
        String rest = dir.substring(star + 3);
        if (!Files.isDirectory(parent)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(parent)) {
            return children.sorted((a, b) -> b.getFileName().toString().compareTo(a.getFileName().toString()))
                    .map(child -> child.resolve(rest).resolve(name)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
