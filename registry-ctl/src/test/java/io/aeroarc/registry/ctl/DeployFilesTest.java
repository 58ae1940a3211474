package io.aeroarc.registry.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment examples hang together: the Kubernetes objects parse and refer to each other
 * (labels, ports, secret, probes), and the systemd unit has the keys that make it safe to run. No
 * cluster or systemd is needed; what a cluster checks beyond this is not checked here.
 */
class DeployFilesTest {

    private static final Path DEPLOY = Path.of(System.getProperty("deploy.dir", "../deploy"));

    @Test
    @SuppressWarnings("unchecked")
    void the_kubernetes_example_runs_three_probed_non_root_replicas_on_redis() throws IOException {
        Map<String, Object> deployment = yaml("k8s/deployment.yaml");
        assertThat(deployment.get("kind")).isEqualTo("Deployment");
        Map<String, Object> spec = map(deployment, "spec");
        assertThat(spec.get("replicas")).isEqualTo(3);
        Map<String, Object> podLabels = map(map(map(spec, "template"), "metadata"), "labels");
        assertThat(map(map(spec, "selector"), "matchLabels")).isEqualTo(podLabels);

        Map<String, Object> pod = map(map(spec, "template"), "spec");
        assertThat(map(pod, "securityContext")).containsEntry("runAsNonRoot", true).containsEntry("runAsUser", 65532);
        Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
        assertThat(map(container, "securityContext")).containsEntry("readOnlyRootFilesystem", true).containsEntry("allowPrivilegeEscalation", false);
        assertThat(map(map(container, "resources"), "requests")).containsKeys("cpu", "memory");

        Map<String, Object> readiness = map(map(container, "readinessProbe"), "grpc");
        Map<String, Object> liveness = map(map(container, "livenessProbe"), "grpc");
        assertThat(readiness).containsEntry("port", 50051).containsEntry("service", "aeroarc.registry.v1.AeroRegistry");
        assertThat(liveness).containsEntry("port", 50051).containsEntry("service", "liveness");
        List<Map<String, Object>> ports = (List<Map<String, Object>>) container.get("ports");
        assertThat(ports).extracting(port -> port.get("containerPort")).containsExactly(50051);

        // The Redis password comes from the Secret, as a file the backend option reads.
        List<String> args = (List<String>) container.get("args");
        assertThat(args).containsSubsequence("--backend", "redis");
        String passwordFile = args.stream().filter(arg -> arg.startsWith("password-file=")).findFirst().orElseThrow()
                .substring("password-file=".length());
        Map<String, Object> mount = ((List<Map<String, Object>>) container.get("volumeMounts")).stream()
                .filter(m -> passwordFile.startsWith(m.get("mountPath") + "/")).findFirst().orElseThrow();
        Map<String, Object> volume = ((List<Map<String, Object>>) pod.get("volumes")).stream()
                .filter(v -> v.get("name").equals(mount.get("name"))).findFirst().orElseThrow();
        Map<String, Object> secret = yaml("k8s/secret.yaml");
        assertThat(map(volume, "secret").get("secretName")).isEqualTo(map(secret, "metadata").get("name"));
        assertThat(map(secret, "stringData")).containsKey(passwordFile.substring(passwordFile.lastIndexOf('/') + 1));

        Map<String, Object> service = yaml("k8s/service.yaml");
        assertThat(map(map(service, "spec"), "selector")).isEqualTo(podLabels);
        Map<String, Object> servicePort = ((List<Map<String, Object>>) map(service, "spec").get("ports")).get(0);
        assertThat(servicePort).containsEntry("port", 50051);
        assertThat(ports).extracting(port -> port.get("name")).contains(servicePort.get("targetPort"));

        Map<String, Object> budget = yaml("k8s/pdb.yaml");
        assertThat(budget.get("kind")).isEqualTo("PodDisruptionBudget");
        assertThat(map(map(budget, "spec"), "selector").get("matchLabels")).isEqualTo(podLabels);
        assertThat((Integer) map(budget, "spec").get("minAvailable")).isBetween(1, 2);
    }

    @Test
    void the_systemd_unit_runs_the_jar_unprivileged_sandboxed_and_restarts_it() throws IOException {
        Map<String, Map<String, List<String>>> unit = unitFile(DEPLOY.resolve("systemd/relay-registry.service"));
        assertThat(unit).containsKeys("Unit", "Service", "Install");
        Map<String, List<String>> service = unit.get("Service");
        assertThat(service.get("ExecStart")).singleElement().asString().contains("-jar /opt/relay-registry/relay-registry.jar");
        assertThat(service.get("DynamicUser")).containsExactly("yes");
        assertThat(service).doesNotContainKey("User");
        assertThat(service.get("Restart")).containsExactly("on-failure");
        assertThat(service.get("RestartPreventExitStatus")).containsExactly("2");
        assertThat(service.get("NoNewPrivileges")).containsExactly("yes");
        assertThat(service.get("ProtectSystem")).containsExactly("strict");
        assertThat(service.get("ProtectHome")).containsExactly("yes");
        assertThat(service.get("PrivateTmp")).containsExactly("yes");
        assertThat(service.get("CapabilityBoundingSet")).containsExactly("");
        // Longer than the registry's default --shutdown-timeout (30s), so a drain is not cut short.
        assertThat(Integer.parseInt(service.get("TimeoutStopSec").get(0).replace("s", ""))).isGreaterThan(30);
        assertThat(unit.get("Install").get("WantedBy")).containsExactly("multi-user.target");
    }

    private Map<String, Object> yaml(String file) throws IOException {
        return new Yaml().load(Files.readString(DEPLOY.resolve(file)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertThat(value).as("key %s", key).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    /** Section -> key -> values, in order; comments and blank lines skipped. */
    private static Map<String, Map<String, List<String>>> unitFile(Path file) throws IOException {
        Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
        Map<String, List<String>> section = null;
        for (String line : Files.readAllLines(file)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";")) {
                continue;
            }
            if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
                section = sections.computeIfAbsent(trimmed.substring(1, trimmed.length() - 1), name -> new LinkedHashMap<>());
                continue;
            }
            assertThat(section).as("line outside a section: %s", line).isNotNull();
            int equals = trimmed.indexOf('=');
            assertThat(equals).as("not key=value: %s", line).isPositive();
            section.computeIfAbsent(trimmed.substring(0, equals), key -> new ArrayList<>()).add(trimmed.substring(equals + 1));
        }
        return sections;
    }
}
