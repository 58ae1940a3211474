package io.aeroarc.registry.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A CA and certificates made with openssl for one test run (EC P-256, PKCS#8 keys, valid 2 days). */
final class Pki {

    record Credential(Path certificate, Path key) {}

    final Path caCertificate;
    private final Path caKey;
    private final Path dir;

    private Pki(Path dir, Path caCertificate, Path caKey) {
        this.dir = dir;
        this.caCertificate = caCertificate;
        this.caKey = caKey;
    }

    static Pki create(Path dir) throws IOException, InterruptedException {
        Path certificate = dir.resolve("ca.pem");
        Path key = dir.resolve("ca.key");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=registryctl test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", key.toString(), "-out", certificate.toString());
        return new Pki(dir, certificate, key);
    }

    /** For a server on localhost / 127.0.0.1. */
    Credential server() throws IOException, InterruptedException {
        return issue("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth");
    }

    /** A client certificate named by a DNS SAN. */
    Credential client(String name) throws IOException, InterruptedException {
        return issue(name, "subjectAltName=DNS:" + name + "\nextendedKeyUsage=clientAuth");
    }

    private Credential issue(String name, String extensions) throws IOException, InterruptedException {
        Path key = dir.resolve(name + ".key");
        Path request = dir.resolve(name + ".csr");
        Path certificate = dir.resolve(name + ".pem");
        Path extensionFile = Files.writeString(dir.resolve(name + ".ext"), "basicConstraints=CA:FALSE\n" + extensions + "\n");
        openssl(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                "-keyout", key.toString(), "-out", request.toString());
        openssl(dir, "x509", "-req", "-in", request.toString(), "-CA", caCertificate.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-days", "2", "-extfile", extensionFile.toString(), "-out", certificate.toString());
        return new Credential(certificate, key);
    }

    private static void openssl(Path dir, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("openssl %s:%n%s", command, output).isZero();
    }
}
