package events.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.error.ApiException;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Real servers for integration tests, each on a random port with its own database on the run's
 * PostgreSQL ({@link TestDatabase}). Most tests share one; tests that need their own settings (a tiny
 * pool, another schema) start one with {@link #start(Map)} and close it.
 */
public final class TestServers {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Map<EventsServer, String> COOKIES = new java.util.IdentityHashMap<>();
    private static final Map<EventsServer, String> DATABASES = new java.util.concurrent.ConcurrentHashMap<>();
    /** The test administrator's login and password. */
    public static final String ADMIN = "test-admin";
    public static final String ADMIN_PASSWORD = "test-admin-password";
    private static EventsServer shared;
    private static Path dataRoot;

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
        EventsConfig config = config(environment);
        EventsServer server = EventsServer.start(config, null, dataDirectory());
        DATABASES.put(server, config.dbName());
        return server;
    }

    /**
     * A server on {@code sample-schema.yaml} (every field type and constraint; no login service, so the
     * API is open) and its own database.
     */
    public static EventsServer startSampleSchema(String database) {
        return start(Map.of("EVENTS_SCHEMA", Path.of("src/test/resources/sample-schema.yaml").toAbsolutePath()
                .toString(), "EVENTS_DB_NAME", database));
    }

    /** The configuration {@link #start(Map)} uses: {@code EVENTS_*} variables over the test defaults. */
    public static EventsConfig config(Map<String, String> environment) {
        Map<String, String> env = new HashMap<>();
        env.put("EVENTS_DB_URI", TestDatabase.uri());
        env.put("EVENTS_DB_NAME", "events_it_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet());
        env.put("EVENTS_SERVER_PORT", "0");
        env.putAll(environment);
        return new ConfigLoader().load(null, env);
    }

    /**
     * A data directory of the server's own under the run's temporary one: the first run writes its
     * administrator password there, never into the working tree.
     */
    public static synchronized Path dataDirectory() {
        try {
            if (dataRoot == null) {
                dataRoot = Files.createTempDirectory("events-test-data");
                Path root = dataRoot;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root)));
            }
            return Files.createDirectory(dataRoot.resolve("server-" + COUNTER.incrementAndGet()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a temporary directory tree, quietly: the tests' leftovers of embedded databases are gigabytes. */
    public static void delete(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory: the OS cleans it eventually
        }
    }

    /** The name of a test server's database, for {@link TestSql}. */
    public static String database(EventsServer server) {
        return DATABASES.get(server);
    }

    /** A client logged in as {@link #ADMIN} (a role with {@code s} on everything) when sessions are on. */
    public static WebTestClient client(EventsServer server) {
        String cookie = sessionCookie(server);
        WebTestClient.Builder builder = anonymousBuilder(server);
        if (cookie != null) {
            builder.defaultCookie("sessionId", cookie);
        }
        return builder.build();
    }

    /** A client without a session. */
    public static WebTestClient anonymous(EventsServer server) {
        return anonymousBuilder(server).build();
    }

    /**
     * The session cookie of the test administrator, created on first use through the first-login path
     * ({@link EventsServer#createDocument}); null when the schema has no login service.
     */
    public static synchronized String sessionCookie(EventsServer server) {
        if (!server.sessionsEnabled()) {
            return null;
        }
        String cached = COOKIES.get(server);
        if (cached != null) {
            return cached;
        }
        try {
            server.createDocument("Role", "{\"id\": \"test-admin-role\", \"role\": \"Test Admin\", "
                    + "\"permissions\": {\"*\": \"s\"}}");
            server.createDocument("Auth", "{\"name\": \"" + ADMIN + "\", \"password\": \"" + ADMIN_PASSWORD
                    + "\", \"roleId\": \"test-admin-role\"}");
        } catch (ApiException alreadyThere) {
            // created before (a shared server, or a wiped one being set up again)
        }
        String cookie = anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"login\": \"" + ADMIN + "\", \"password\": \"" + ADMIN_PASSWORD + "\"}")
                .exchange().expectStatus().isOk()
                .returnResult(String.class).getResponseCookies().getFirst("sessionId").getValue();
        COOKIES.put(server, cookie);
        return cookie;
    }

    /** Forgets the cached session (after {@code db/init} wiped it). */
    public static synchronized void forget(EventsServer server) {
        COOKIES.remove(server);
    }

    /**
     * A fresh connection per request: tests start and stop many servers on ephemeral ports, and a
     * pooled keep-alive connection to a port that a stopped server had can outlive it.
     */
    private static WebTestClient.Builder anonymousBuilder(EventsServer server) {
        return WebTestClient.bindToServer(new ReactorClientHttpConnector(HttpClient.create(ConnectionProvider.newConnection())))
                .baseUrl("http://localhost:" + server.port())
                .responseTimeout(Duration.ofSeconds(30))
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(64 * 1024 * 1024));
    }
}
