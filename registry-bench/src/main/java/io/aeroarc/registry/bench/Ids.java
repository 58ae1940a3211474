package io.aeroarc.registry.bench;

/**
 * The ids every scenario uses: agents {@code drone-000123456} (15 bytes, the shape of a real
 * fleet's ids) and relays {@code relay-00042}. Agent {@code n} lives on relay
 * {@code n / agentsPerRelay}. Built by hand because {@code String.format} would dominate the
 * cost of the cheapest operations measured with them.
 */
final class Ids {

    private Ids() {}

    static String agent(long n) {
        return padded("drone-", n, 9);
    }

    static String relay(long n) {
        return padded("relay-", n, 5);
    }

    private static String padded(String prefix, long n, int digits) {
        if (n < 0) {
            throw new IllegalArgumentException("negative id number " + n);
        }
        String number = Long.toString(n);
        if (number.length() >= digits) {
            return prefix + number;
        }
        StringBuilder text = new StringBuilder(prefix.length() + digits).append(prefix);
        for (int i = number.length(); i < digits; i++) {
            text.append('0');
        }
        return text.append(number).toString();
    }
}
