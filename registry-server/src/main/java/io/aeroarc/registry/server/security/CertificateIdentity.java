package io.aeroarc.registry.server.security;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The name a client certificate proves: its first URI SAN (SPIFFE style, {@code
 * spiffe://fleet/relay/r1}), else its first DNS SAN, else its subject's CN. SANs come first because
 * they are what modern issuers (SPIRE, step-ca, cert-manager) set; the CN is for older PKIs.
 */
final class CertificateIdentity {

    private static final int DNS_NAME = 2;
    private static final int URI_NAME = 6;

    private CertificateIdentity() {}

    static Optional<String> nameOf(X509Certificate certificate) {
        Optional<String> uri = subjectAltName(certificate, URI_NAME);
        if (uri.isPresent()) {
            return uri;
        }
        Optional<String> dns = subjectAltName(certificate, DNS_NAME);
        if (dns.isPresent()) {
            return dns;
        }
        return commonName(certificate);
    }

    private static Optional<String> subjectAltName(X509Certificate certificate, int type) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
        if (names == null) {
            return Optional.empty();
        }
        return names.stream()
                .filter(entry -> entry.size() >= 2 && Integer.valueOf(type).equals(entry.get(0)) && entry.get(1) instanceof String)
                .map(entry -> (String) entry.get(1))
                .filter(name -> !name.isBlank())
                .findFirst();
    }

    private static Optional<String> commonName(X509Certificate certificate) {
        try {
            List<Rdn> rdns = new LdapName(certificate.getSubjectX500Principal().getName()).getRdns();
            // LdapName lists the most significant RDN first; the CN that names the holder is the last one.
            for (int i = rdns.size() - 1; i >= 0; i--) {
                if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
                    String name = rdns.get(i).getValue().toString();
                    return name.isBlank() ? Optional.empty() : Optional.of(name);
                }
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
