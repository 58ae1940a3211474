package io.aeroarc.registry.server.security;

import java.util.Optional;

/**
 * An authenticated client.
 *
 * @param name from the certificate (URI SAN, else DNS SAN, else CN) or the token file
 * @param source how it was proven: {@code mtls} or {@code token}
 * @param role empty when the policy gives this name no role: such a client is denied every registry call
 * @param relayId the one relay a {@link Role#RELAY} acts for
 */
public record Identity(String name, String source, Optional<Role> role, Optional<String> relayId) {
}
