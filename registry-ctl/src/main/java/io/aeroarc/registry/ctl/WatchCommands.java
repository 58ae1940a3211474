package io.aeroarc.registry.ctl;

import io.aeroarc.registry.api.v1.AgentPlacement;
import io.aeroarc.registry.api.v1.PlacementEvent;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.api.v1.RelayEvent;
import io.aeroarc.registry.api.v1.WatchAgentsRequest;
import io.aeroarc.registry.api.v1.WatchAgentsResponse;
import io.aeroarc.registry.api.v1.WatchRelaysRequest;
import io.aeroarc.registry.api.v1.WatchRelaysResponse;
import io.grpc.Context;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code registryctl watch relays|agents}: follows the fleet, one line per entry and event (with
 * {@code --output json}, one JSON document per response, JSON Lines). Runs until interrupted, the
 * stream ends, or {@code --max-events} events were printed; {@code --timeout} does not apply.
 */
@Command(name = "watch", description = "Follows relays or placements: a snapshot, its end (with a resume token), then events.",
        mixinStandardHelpOptions = true, subcommands = {WatchCommands.WatchRelays.class, WatchCommands.WatchAgents.class})
final class WatchCommands {

    private WatchCommands() {}

    abstract static class WatchCall extends RegistryCall {

        @Option(names = "--resume", paramLabel = "TOKEN", defaultValue = "",
                description = "resume after this token (from an event or snapshot end) instead of starting with a snapshot")
        String resumeToken;

        @Option(names = "--max-events", paramLabel = "N", defaultValue = "0",
                description = "stop (exit 0) after printing this many events; 0 follows until interrupted (default)")
        int maxEvents;

        /** Prints what the stream sends until it ends or enough events were printed. */
        <R> int follow(Iterator<R> responses, Printer printer, java.util.function.ToIntFunction<R> print) {
            int events = 0;
            while (responses.hasNext()) {
                events += print.applyAsInt(responses.next());
                if (maxEvents > 0 && events >= maxEvents) {
                    return ExitCodes.OK;
                }
            }
            return ExitCodes.OK;
        }

        /** Runs {@code body} in a cancellable context, so leaving early ends the stream on the server too. */
        int cancellable(java.util.function.IntSupplier body) {
            Context.CancellableContext context = Context.current().withCancellation();
            try {
                return context.call(body::getAsInt);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                context.cancel(null);
            }
        }
    }

    @Command(name = "relays", description = "Live relays, optionally only those with the given labels.", mixinStandardHelpOptions = true)
    static final class WatchRelays extends WatchCall {

        @Option(names = {"-l", "--selector"}, paramLabel = "KEY=VALUE", description = "only relays with this label; repeatable, all must match")
        Map<String, String> selector = new LinkedHashMap<>();

        @Override
        int run(Printer printer) {
            WatchRelaysRequest request = WatchRelaysRequest.newBuilder().putAllLabelSelector(selector).setResumeToken(resumeToken).build();
            return cancellable(() -> follow(streams().watchRelays(request), printer, response -> print(response, printer)));
        }

        private static int print(WatchRelaysResponse response, Printer printer) {
            if (printer.json()) {
                printer.message(response);
                return response.getEvents().getEventsCount();
            }
            switch (response.getItemCase()) {
                case SNAPSHOT:
                    for (Relay relay : response.getSnapshot().getRelaysList()) {
                        printer.line((response.getSnapshot().getResync() ? "RESYNC " : "SNAPSHOT ") + describe(relay));
                    }
                    return 0;
                case SNAPSHOT_END:
                    printer.line(snapshotEnd(response.getSnapshotEnd()));
                    return 0;
                case EVENTS:
                    for (RelayEvent event : response.getEvents().getEventsList()) {
                        printer.line(type(event.getType()) + " " + describe(event.getRelay()) + reason(event.getReason())
                                + " at=" + Printer.time(event.getAtUnixMs()) + " token=" + event.getResumeToken());
                    }
                    return response.getEvents().getEventsCount();
                default:
                    return 0;
            }
        }

        private static String describe(Relay relay) {
            return relay.getRelayId() + " " + relay.getAddress() + ":" + relay.getGrpcPort() + " " + Printer.labels(relay.getLabelsMap());
        }
    }

    @Command(name = "agents", description = "Placements, optionally only on one relay or of some agents.", mixinStandardHelpOptions = true)
    static final class WatchAgents extends WatchCall {

        @Option(names = "--relay", paramLabel = "RELAY_ID", defaultValue = "", description = "only placements on this relay")
        String relayId;

        @Option(names = "--agent", paramLabel = "AGENT_ID", description = "only this agent; repeatable (at most 1000)")
        List<String> agentIds = new ArrayList<>();

        @Override
        int run(Printer printer) {
            WatchAgentsRequest request = WatchAgentsRequest.newBuilder().setRelayId(relayId).addAllAgentIds(agentIds)
                    .setResumeToken(resumeToken).build();
            return cancellable(() -> follow(streams().watchAgents(request), printer, response -> print(response, printer)));
        }

        private static int print(WatchAgentsResponse response, Printer printer) {
            if (printer.json()) {
                printer.message(response);
                return response.getEvents().getEventsCount();
            }
            switch (response.getItemCase()) {
                case SNAPSHOT:
                    for (AgentPlacement placement : response.getSnapshot().getPlacementsList()) {
                        printer.line((response.getSnapshot().getResync() ? "RESYNC " : "SNAPSHOT ") + describe(placement));
                    }
                    return 0;
                case SNAPSHOT_END:
                    printer.line(snapshotEnd(response.getSnapshotEnd()));
                    return 0;
                case EVENTS:
                    for (PlacementEvent event : response.getEvents().getEventsList()) {
                        String from = event.getPreviousRelayId().isEmpty() ? "" : " from=" + event.getPreviousRelayId();
                        printer.line(type(event.getType()) + " " + describe(event.getPlacement()) + from + reason(event.getReason())
                                + " at=" + Printer.time(event.getAtUnixMs()) + " token=" + event.getResumeToken());
                    }
                    return response.getEvents().getEventsCount();
                default:
                    return 0;
            }
        }

        private static String describe(AgentPlacement placement) {
            return placement.getAgentId() + " relay=" + placement.getRelayId() + " epoch=" + placement.getEpoch();
        }
    }

    private static String snapshotEnd(io.aeroarc.registry.api.v1.SnapshotEnd end) {
        return (end.getResync() ? "RESYNC_END" : "SNAPSHOT_END") + " token=" + end.getResumeToken();
    }

    private static String type(io.aeroarc.registry.api.v1.WatchEventType type) {
        return type.name().replace("WATCH_EVENT_TYPE_", "");
    }

    private static String reason(io.aeroarc.registry.api.v1.RemovalReason reason) {
        return reason == io.aeroarc.registry.api.v1.RemovalReason.REMOVAL_REASON_UNSPECIFIED ? ""
                : " reason=" + reason.name().replace("REMOVAL_REASON_", "");
    }
}
