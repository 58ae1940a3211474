package io.aeroarc.registry.ctl;

import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.AgentPlacement;
import io.aeroarc.registry.api.v1.DeregisterAgentRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementResponse;
import io.aeroarc.registry.api.v1.GetAgentPlacementsRequest;
import io.aeroarc.registry.api.v1.GetAgentPlacementsResponse;
import io.aeroarc.registry.api.v1.ListAgentsRequest;
import io.aeroarc.registry.api.v1.ListAgentsResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code registryctl agents list|get|where|deregister}. */
@Command(name = "agents", description = "Agents and their placements on relays.", mixinStandardHelpOptions = true,
        subcommands = {AgentCommands.ListAgents.class, AgentCommands.GetAgents.class, AgentCommands.WhereAgent.class,
                AgentCommands.DeregisterAgent.class})
final class AgentCommands {

    /** The server's limit on ids in one GetAgentPlacements call. */
    private static final int BATCH = 1000;

    private AgentCommands() {}

    @Command(name = "list", description = "Every visible placement, ordered by agent id (pages through the whole list).",
            mixinStandardHelpOptions = true)
    static final class ListAgents extends RegistryCall {

        @Option(names = "--relay", paramLabel = "RELAY_ID", description = "only agents placed on this relay")
        String relayId = "";

        @Option(names = "--page-size", paramLabel = "N", defaultValue = "0",
                description = "entries asked for per call; 0 lets the server fill each page (default)")
        int pageSize;

        @Override
        int run(Printer printer) {
            List<Agent> agents = new ArrayList<>();
            String pageToken = "";
            do {
                ListAgentsResponse page = registry().listAgents(ListAgentsRequest.newBuilder()
                        .setRelayId(relayId).setPageSize(pageSize).setPageToken(pageToken).build());
                agents.addAll(page.getAgentsList());
                pageToken = page.getNextPageToken();
            } while (!pageToken.isEmpty());
            if (printer.json()) {
                printer.list("agents", agents);
            } else {
                Table table = new Table("AGENT_ID", "RELAY_ID", "LAST_HEARTBEAT", "EXPIRES");
                for (Agent agent : agents) {
                    table.row(agent.getAgentId(), agent.getRelayId(), Printer.time(agent.getLastHeartbeatUnixMs()),
                            Printer.time(agent.getExpiresAtUnixMs()));
                }
                printer.table(table);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "get", description = "The placements of these agents (with epochs); exit 1 when any is not placed.",
            mixinStandardHelpOptions = true)
    static final class GetAgents extends RegistryCall {

        @Parameters(paramLabel = "AGENT_ID", arity = "1..*")
        List<String> agentIds;

        @Override
        int run(Printer printer) {
            List<String> ids = new ArrayList<>(new LinkedHashSet<>(agentIds));
            GetAgentPlacementsResponse.Builder all = GetAgentPlacementsResponse.newBuilder();
            for (int from = 0; from < ids.size(); from += BATCH) {
                GetAgentPlacementsResponse batch = registry().getAgentPlacements(GetAgentPlacementsRequest.newBuilder()
                        .addAllAgentIds(ids.subList(from, Math.min(ids.size(), from + BATCH))).build());
                all.addAllPlacements(batch.getPlacementsList()).addAllMissingAgentIds(batch.getMissingAgentIdsList());
            }
            if (printer.json()) {
                printer.message(all);
            } else {
                Table table = new Table("AGENT_ID", "RELAY_ID", "EPOCH", "LAST_UPDATED", "EXPIRES");
                for (AgentPlacement placement : all.getPlacementsList()) {
                    table.row(placement.getAgentId(), placement.getRelayId(), Long.toUnsignedString(placement.getEpoch()),
                            Printer.time(placement.getLastUpdatedUnixMs()), Printer.time(placement.getExpiresAtUnixMs()));
                }
                printer.table(table);
                if (all.getMissingAgentIdsCount() > 0) {
                    printer.note("not placed: " + String.join(", ", all.getMissingAgentIdsList()));
                }
            }
            return all.getMissingAgentIdsCount() == 0 ? ExitCodes.OK : ExitCodes.NOT_FOUND;
        }
    }

    @Command(name = "where", description = "The relay an agent's traffic goes to, with its address; exit 1 when it is not placed.",
            mixinStandardHelpOptions = true)
    static final class WhereAgent extends RegistryCall {

        @Parameters(paramLabel = "AGENT_ID")
        String agentId;

        @Override
        int run(Printer printer) {
            GetAgentPlacementResponse where = registry().getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId(agentId).build());
            if (printer.json()) {
                printer.message(where);
            } else {
                printer.table(new Table("AGENT_ID", "RELAY_ID", "ADDRESS", "EPOCH", "EXPIRES")
                        .row(agentId, where.getPlacement().getRelayId(), where.getRelay().getAddress() + ":" + where.getRelay().getGrpcPort(),
                                Long.toUnsignedString(where.getPlacement().getEpoch()), Printer.time(where.getPlacement().getExpiresAtUnixMs())));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "deregister", mixinStandardHelpOptions = true,
            description = {"Ends an agent's placement now; exit 1 when it is not placed.",
                    "Without --relay it ends the placement the registry holds right now (looked up first; if the agent moves"
                            + " in between, the call fails with FAILED_PRECONDITION and nothing ends)."})
    static final class DeregisterAgent extends RegistryCall {

        @Parameters(paramLabel = "AGENT_ID")
        String agentId;

        @Option(names = "--relay", paramLabel = "RELAY_ID", description = "only if the agent is placed on this relay")
        String relayId;

        @Override
        int run(Printer printer) {
            String relay = relayId != null ? relayId
                    : registry().getAgentPlacement(GetAgentPlacementRequest.newBuilder().setAgentId(agentId).build()).getPlacement().getRelayId();
            registry().deregisterAgent(DeregisterAgentRequest.newBuilder().setAgentId(agentId).setRelayId(relay).build());
            if (printer.json()) {
                Map<String, com.google.protobuf.Value> fields = new LinkedHashMap<>();
                fields.put("agent_id", Printer.string(agentId));
                fields.put("relay_id", Printer.string(relay));
                fields.put("deregistered", Printer.bool(true));
                printer.fields(fields);
            } else {
                printer.line("agent " + agentId + " deregistered from relay " + relay);
            }
            return ExitCodes.OK;
        }
    }
}
