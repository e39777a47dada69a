package events.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.config.ConfigLoader;
import events.config.EventsConfig;

/**
 * Real servers for integration tests, each on a random port with its own database on the run's
 * PostgreSQL ({@link TestDatabase}). Most tests share one; tests that need their own settings (a tiny
 * pool, another schema) start one with {@link #start(Map)} and close it.
 */
public final class TestServers {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EventsServer shared;

    private TestServers() {
    }

    /** The shared server with the default configuration and the built-in Events schema. */
    public static synchronized EventsServer shared() {
        if (shared == null) {
            shared = start(Map.of());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /**
     * Starts a server configured by {@code EVENTS_*} variables over the test defaults (its own database,
     * port 0); {@code EVENTS_DB_URI} may point elsewhere.
     */
    public static EventsServer start(Map<String, String> environment) {
        Map<String, String> env = new HashMap<>();
        env.put("EVENTS_DB_URI", TestDatabase.uri());
        env.put("EVENTS_DB_NAME", "events_it_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet());
        env.put("EVENTS_SERVER_PORT", "0");
        env.putAll(environment);
        EventsConfig config = new ConfigLoader().load(null, env);
        return EventsServer.start(config, null, Path.of("target", "unused-embedded-data"));
    }

    public static WebTestClient client(EventsServer server) {
        return WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + server.port())
                .responseTimeout(Duration.ofSeconds(30))
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(64 * 1024 * 1024))
                .build();
    }
}
