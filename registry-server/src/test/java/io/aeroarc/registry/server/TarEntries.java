package io.aeroarc.registry.server;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a tar stream (ustar, with GNU or PAX long names): every entry's mode and type, and the
 * content of regular files whose path passes {@code keep}. The JDK has no tar reader; the image
 * test needs only this much of one.
 */
final class TarEntries {

    record Entry(String path, int mode, char type, String linkTarget, byte[] content) {}

    interface Keep {
        boolean content(String path, long size);
    }

    private TarEntries() {}

    static Map<String, Entry> read(InputStream in, Keep keep) throws IOException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        String longName = null;
        byte[] header = new byte[512];
        while (readFully(in, header)) {
            if (isZero(header)) {
                break;
            }
            String name = text(header, 0, 100);
            String prefix = text(header, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            int mode = (int) octal(header, 100, 8);
            long size = octal(header, 124, 12);
            char type = header[156] == 0 ? '0' : (char) header[156];
            String link = text(header, 157, 100);
            boolean regular = type == '0' || type == '7';
            byte[] data = type == 'L' || type == 'x' || (regular && keep.content(normalize(longName != null ? longName : name), size))
                    ? readBytes(in, size) : skip(in, size);
            skip(in, (512 - size % 512) % 512);
            if (type == 'L') {
                longName = new String(data, StandardCharsets.UTF_8).replace("\0", "");
                continue;
            }
            if (type == 'x') {
                longName = paxPath(new String(data, StandardCharsets.UTF_8));
                continue;
            }
            String path = normalize(longName != null ? longName : name);
            longName = null;
            entries.put(path, new Entry(path, mode, type, link, data));
        }
        return entries;
    }

    /** "app/libs/x.jar", "./tmp/" and "/tmp" all become "/app/libs/x.jar", "/tmp". */
    private static String normalize(String name) {
        String path = name.startsWith("./") ? name.substring(1) : name.startsWith("/") ? name : "/" + name;
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private static String paxPath(String records) {
        for (String record : records.split("\n")) {
            int space = record.indexOf(' ');
            if (space > 0 && record.startsWith("path=", space + 1)) {
                return record.substring(space + 6);
            }
        }
        return null;
    }

    private static String text(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] header, int offset, int length) {
        String digits = text(header, offset, length).trim();
        return digits.isEmpty() ? 0 : Long.parseLong(digits, 8);
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean readFully(InputStream in, byte[] block) throws IOException {
        int read = in.readNBytes(block, 0, block.length);
        if (read == 0) {
            return false;
        }
        if (read < block.length) {
            throw new EOFException("truncated tar header");
        }
        return true;
    }

    private static byte[] readBytes(InputStream in, long size) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(size, 1 << 20));
        byte[] buffer = new byte[8192];
        long left = size;
        while (left > 0) {
            int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (read < 0) {
                throw new EOFException("truncated tar entry");
            }
            out.write(buffer, 0, read);
            left -= read;
        }
        return out.toByteArray();
    }

    private static byte[] skip(InputStream in, long size) throws IOException {
        long left = size;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("truncated tar entry");
                }
                skipped = 1;
            }
            left -= skipped;
        }
        return null;
    }
}
