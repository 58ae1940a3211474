package io.aeroarc.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aeroarc.registry.api.v1.Agent;
import io.aeroarc.registry.api.v1.PlacementEvent;
import io.aeroarc.registry.api.v1.RegisterAgentRequest;
import io.aeroarc.registry.api.v1.RegisterRelayRequest;
import io.aeroarc.registry.api.v1.Relay;
import io.aeroarc.registry.api.v1.RemovalReason;
import io.aeroarc.registry.api.v1.WatchAgentsRequest;
import io.aeroarc.registry.api.v1.WatchEventType;
import io.aeroarc.registry.core.BackendLoader;
import io.aeroarc.registry.core.RegistrySettings;
import io.aeroarc.registry.spi.BackendContext;
import io.aeroarc.registry.spi.BackendOptions;
import io.aeroarc.registry.spi.RegistryBackend;
import io.aeroarc.registry.testsupport.RedisTestServer;
import io.aeroarc.registry.testsupport.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two registry servers on one Redis: a watcher of each sees every expiry exactly once, whichever
 * server's feed noticed it, and no call needs to touch the expired entries.
 */
class WatchSharedStorageTest {

    private static final Duration AGENT_TTL = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int AGENTS = 20;

    private final TestServer redis = RedisTestServer.start();
    private final BackendLoader loader = BackendLoader.discover(getClass().getClassLoader());
    private final RegistrySettings settings = new RegistrySettings(Duration.ofMinutes(5), AGENT_TTL, 10_000);
    private RunningRegistry first;
    private RunningRegistry second;

    @AfterEach
    void stop() throws InterruptedException {
        for (RunningRegistry registry : new RunningRegistry[] {first, second}) {
            if (registry != null) {
                registry.close();
            }
        }
        redis.close();
    }

    private RunningRegistry serverOnRedis() {
        RegistryBackend backend = loader.open("redis", BackendOptions.of("redis", redis.backendOptions()), new BackendContext(Clock.systemUTC()),
                settings);
        return new RunningRegistry(backend, settings, Duration.ofSeconds(5));
    }

    @Test
    void each_watcher_sees_each_expiry_once_across_two_servers() {
        first = serverOnRedis();
        second = serverOnRedis();
        AgentFollower onFirst = new AgentFollower();
        AgentFollower onSecond = new AgentFollower();
        onFirst.watch(first.channel, WatchAgentsRequest.getDefaultInstance());
        onSecond.watch(second.channel, WatchAgentsRequest.getDefaultInstance());
        await().atMost(WAIT).until(() -> onFirst.snapshots.get() == 1 && onSecond.snapshots.get() == 1);

        first.registry().registerRelay(RegisterRelayRequest.newBuilder().setRelay(Relay.newBuilder().setRelayId("relay-1")
                .setAddress("10.0.0.1").setGrpcPort(7000)).build());
        for (int i = 0; i < AGENTS; i++) {
            (i % 2 == 0 ? first : second).registry().registerAgent(RegisterAgentRequest.newBuilder()
                    .setAgent(Agent.newBuilder().setAgentId("agent-" + i)).setRelayId("relay-1").build());
        }
        for (AgentFollower follower : List.of(onFirst, onSecond)) {
            await().atMost(WAIT).until(() -> expiries(follower).size() == AGENTS);
        }
        // A later change as a marker: any repeated expiry would have come before it.
        first.registry().registerAgent(RegisterAgentRequest.newBuilder().setAgent(Agent.newBuilder().setAgentId("marker"))
                .setRelayId("relay-1").build());
        for (AgentFollower follower : List.of(onFirst, onSecond)) {
            await().atMost(WAIT).until(() -> follower.placements().containsKey("marker"));
            Map<String, Long> perAgent = expiries(follower).stream().collect(Collectors.groupingBy(e -> e.getPlacement().getAgentId(),
                    Collectors.counting()));
            assertThat(perAgent).hasSize(AGENTS).allSatisfy((agent, count) -> assertThat(count).as(agent).isEqualTo(1));
            assertThat(follower.received.stream().filter(e -> e.getType() == WatchEventType.WATCH_EVENT_TYPE_ADDED)
                    .collect(Collectors.toMap(e -> e.getPlacement().getAgentId(), Function.identity(), (a, b) -> a)))
                    .hasSize(AGENTS + 1);
            assertThat(follower.placements()).containsOnlyKeys("marker");
        }
    }

    private static List<PlacementEvent> expiries(AgentFollower follower) {
        return follower.received.stream().filter(e -> e.getType() == WatchEventType.WATCH_EVENT_TYPE_REMOVED
                && e.getReason() == RemovalReason.REMOVAL_REASON_EXPIRED).toList();
    }
}
