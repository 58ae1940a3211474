package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Certificates made with openssl for one test run: a CA, the server's certificate (localhost,
 * 127.0.0.1), client certificates issued by the CA, and a second CA nobody trusts. EC P-256 keys in
 * PKCS#8 PEM, as grpc-java reads them.
 */
final class TestPki {

    /** A certificate and its key. */
    record Credential(Path certificate, Path key) {}

    final Path dir;
    final Path caCertificate;
    private final Path caKey;

    private TestPki(Path dir, Path caCertificate, Path caKey) {
        this.dir = dir;
        this.caCertificate = caCertificate;
        this.caKey = caKey;
    }

    /** A new CA in {@code dir}, named {@code name}. */
    static TestPki create(Path dir, String name) throws IOException, InterruptedException {
        Path certificate = dir.resolve(name + "-ca.pem");
        Path key = dir.resolve(name + "-ca.key");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=" + name + " test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", key.toString(), "-out", certificate.toString());
        return new TestPki(dir, certificate, key);
    }

    Credential server() throws IOException, InterruptedException {
        return issue("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth", 2);
    }

    /** A client certificate; {@code subjectAltName} may be null for a certificate that has only its CN. */
    Credential client(String file, String commonName, String subjectAltName) throws IOException, InterruptedException {
        return issue(file, "/CN=" + commonName, (subjectAltName == null ? "" : "subjectAltName=" + subjectAltName + "\n") + "extendedKeyUsage=clientAuth", 2);
    }

    /** A client certificate whose validity ended yesterday. */
    Credential expiredClient(String file, String subjectAltName) throws IOException, InterruptedException {
        return issue(file, "/CN=" + file, "subjectAltName=" + subjectAltName + "\nextendedKeyUsage=clientAuth", -1);
    }

    private Credential issue(String file, String subject, String extensions, int days) throws IOException, InterruptedException {
        Path key = dir.resolve(file + ".key");
        Path request = dir.resolve(file + ".csr");
        Path certificate = dir.resolve(file + ".pem");
        Path extensionFile = Files.writeString(dir.resolve(file + ".ext"), "basicConstraints=CA:FALSE\n" + extensions + "\n");
        openssl(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                "-keyout", key.toString(), "-out", request.toString());
        openssl(dir, "x509", "-req", "-in", request.toString(), "-CA", caCertificate.toString(), "-CAkey", caKey.toString(),
                "-set_serial", Long.toString(System.nanoTime()), "-days", Integer.toString(days), "-extfile", extensionFile.toString(),
                "-out", certificate.toString());
        return new Credential(certificate, key);
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("%s (install openssl with apt-get install openssl):%n%s", command, output).isZero();
    }
}
