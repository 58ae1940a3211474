package io.aeroarc.registry.ctl;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code registryctl health}: the standard gRPC health check, usable as a container or systemd probe. */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "The server's grpc.health.v1 status; exit 0 when SERVING, 3 otherwise (or when it cannot be reached).")
final class HealthCommand extends RegistryCall {

    @Option(names = "--service", paramLabel = "NAME", defaultValue = "",
            description = "service to ask about: \"\" (the server, default) or aeroarc.registry.v1.AeroRegistry")
    String service;

    @Override
    int run(Printer printer) {
        HealthCheckResponse.ServingStatus status = health().check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
        if (printer.json()) {
            Map<String, com.google.protobuf.Value> fields = new LinkedHashMap<>();
            fields.put("service", Printer.string(service));
            fields.put("status", Printer.string(status.name()));
            printer.fields(fields);
        } else {
            printer.line(status.name());
        }
        return status == HealthCheckResponse.ServingStatus.SERVING ? ExitCodes.OK : ExitCodes.UNAVAILABLE;
    }
}
