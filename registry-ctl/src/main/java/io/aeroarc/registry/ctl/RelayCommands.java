package io.aeroarc.registry.ctl;

import io.aeroarc.registry.api.v1.DeregisterRelayRequest;
import io.aeroarc.registry.api.v1.GetRelayRequest;
import io.aeroarc.registry.api.v1.ListRelaysRequest;
import io.aeroarc.registry.api.v1.ListRelaysResponse;
import io.aeroarc.registry.api.v1.Relay;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code registryctl relays list|get|deregister}. */
@Command(name = "relays", description = "Live relays.", mixinStandardHelpOptions = true,
        subcommands = {RelayCommands.ListRelays.class, RelayCommands.GetRelay.class, RelayCommands.DeregisterRelay.class})
final class RelayCommands {

    private RelayCommands() {}

    @Command(name = "list", description = "Every live relay, ordered by id (pages through the whole list).", mixinStandardHelpOptions = true)
    static final class ListRelays extends RegistryCall {

        @Option(names = {"-l", "--selector"}, paramLabel = "KEY=VALUE", description = "only relays with this label; repeatable, all must match")
        Map<String, String> selector = new LinkedHashMap<>();

        @Option(names = "--page-size", paramLabel = "N", defaultValue = "0",
                description = "entries asked for per call; 0 lets the server fill each page (default)")
        int pageSize;

        @Override
        int run(Printer printer) {
            List<Relay> relays = new ArrayList<>();
            String pageToken = "";
            do {
                ListRelaysResponse page = registry().listRelays(ListRelaysRequest.newBuilder()
                        .setPageSize(pageSize).setPageToken(pageToken).putAllLabelSelector(selector).build());
                relays.addAll(page.getRelaysList());
                pageToken = page.getNextPageToken();
            } while (!pageToken.isEmpty());
            if (printer.json()) {
                printer.list("relays", relays);
            } else {
                printer.table(table(relays));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "get", description = "One live relay; exit 1 when it is not live.", mixinStandardHelpOptions = true)
    static final class GetRelay extends RegistryCall {

        @Parameters(paramLabel = "RELAY_ID")
        String relayId;

        @Override
        int run(Printer printer) {
            Relay relay = registry().getRelay(GetRelayRequest.newBuilder().setRelayId(relayId).build()).getRelay();
            if (printer.json()) {
                printer.message(relay);
            } else {
                printer.table(table(List.of(relay)));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "deregister", description = "Ends a relay and all its placements now; exit 1 when it is not live.",
            mixinStandardHelpOptions = true)
    static final class DeregisterRelay extends RegistryCall {

        @Parameters(paramLabel = "RELAY_ID")
        String relayId;

        @Override
        int run(Printer printer) {
            registry().deregisterRelay(DeregisterRelayRequest.newBuilder().setRelayId(relayId).build());
            if (printer.json()) {
                Map<String, com.google.protobuf.Value> fields = new LinkedHashMap<>();
                fields.put("relay_id", Printer.string(relayId));
                fields.put("deregistered", Printer.bool(true));
                printer.fields(fields);
            } else {
                printer.line("relay " + relayId + " deregistered");
            }
            return ExitCodes.OK;
        }
    }

    private static Table table(List<Relay> relays) {
        Table table = new Table("RELAY_ID", "ADDRESS", "AGENTS", "LAST_HEARTBEAT", "EXPIRES", "LABELS");
        for (Relay relay : relays) {
            table.row(relay.getRelayId(), relay.getAddress() + ":" + relay.getGrpcPort(), relay.getAgentCount(),
                    Printer.time(relay.getLastHeartbeatUnixMs()), Printer.time(relay.getExpiresAtUnixMs()), Printer.labels(relay.getLabelsMap()));
        }
        return table;
    }
}
