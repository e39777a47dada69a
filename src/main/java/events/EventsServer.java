package events;

import tools.jackson.core.JacksonException;
import events.auth.Sessions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.logging.LoggingInitializationContext;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.web.server.PortInUseException;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import events.api.RequestIds;
import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.config.StartupException;
import events.db.DocumentStore;
import events.db.postgresql.DatabaseMetrics;
import events.db.postgresql.EmbeddedPostgreSQL;
import events.db.postgresql.PostgreSQLCore;
import events.db.postgresql.PostgreSQLDocuments;
import events.documents.DocumentService;
import events.documents.RenderedJson;
import events.schema.Entity;
import events.schema.Schema;
import events.schema.SchemaException;
import events.schema.SchemaLoader;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Start-up in the order of api.md 1: configuration → schema → database (embedded or external, created
 * when missing) → tables and indexes → HTTP. Each step fails with a {@link StartupException}.
 */
public final class EventsServer implements AutoCloseable {

    private static final Duration MIGRATION_TIMEOUT = Duration.ofMinutes(10);
    /** The histogram buckets of every latency timer (HTTP requests, statements, connection acquires). */
    private static final String LATENCY_BUCKETS = "1ms,5ms,10ms,25ms,50ms,100ms,250ms,500ms,1s,2500ms,5s,10s,30s";

    private final ConfigurableApplicationContext context;
    private final DatabaseRelease database;

    private EventsServer(ConfigurableApplicationContext context, DatabaseRelease database) {
        this.context = context;
        this.database = database;
    }

    /**
     * Starts the server. {@code configDirectory} is where {@code overrides.json} is looked for;
     * {@code dataDirectory} holds the embedded database's files (and the first run's password file). In
     * {@code development} the first run gets an administrator with a random password.
     */
    public static EventsServer start(EventsConfig config, @Nullable Path configDirectory, Path dataDirectory) {
        return start(config, configDirectory, dataDirectory, null);
    }

    /**
     * Starts the server; {@code adminPassword} ({@code EVENTS_ADMIN_PASSWORD}) is the password of the
     * administrator a first run in {@code development} creates, null for a random one (api.md 9.3).
     */
    public static EventsServer start(EventsConfig config, @Nullable Path configDirectory, Path dataDirectory,
                                     @Nullable String adminPassword) {
        EventLoopThreads.defaultToHalfTheCores(); // before the first connection; Application has set it already
        Schema schema = loadSchema(config, configDirectory);
        EmbeddedPostgreSQL embedded = config.embedded() ? EmbeddedPostgreSQL.start(dataDirectory, 0) : null;
        PostgreSQLCore core = null;
        try {
            core = PostgreSQLCore.connect(embedded != null ? embedded.uri() : config.dbUri(), config);
            JsonMapper json = JsonMapper.builder().build();
            PostgreSQLDocuments store = new PostgreSQLDocuments(schema, core, config.caseSensitive(), json);
            store.migrate(MIGRATION_TIMEOUT);
            DatabaseRelease database = new DatabaseRelease(core, embedded);
            ConfigurableApplicationContext context = spring(config, schema, store, core, database);
            EventsServer server = new EventsServer(context, database);
            if (!config.production()) {
                try {
                    String baseUrl = "http://" + shownHost(config.host()) + ":" + server.port();
                    new InitialAdmin(schema, store, context.getBean(DocumentService.class))
                            .createIfNone(adminPassword, dataDirectory, baseUrl);
                } catch (RuntimeException e) {
                    server.close();
                    throw e;
                }
            }
            return server;
        } catch (RuntimeException e) {
            if (core != null) {
                core.close();
            }
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    /**
     * Creates a document through the same validation, id and hashing code as {@code POST}, without a
     * session: the first-login path of api.md 9.3. Blocking: for the command line and tests.
     */
    public JsonNode createDocument(String entityName, String json) {
        return create(context.getBean(Schema.class), context.getBean(DocumentService.class), entityName, json);
    }

    /**
     * {@code events-server [config.json] create <Entity> '<json>'}: the same as {@link #createDocument} with
     * no HTTP server, for scripts that set up roles and principals on a fresh database. Works whether or
     * not a server runs on the same database, the embedded one included ({@link OfflineDatabase}).
     */
    public static JsonNode createOffline(EventsConfig config, @Nullable Path configDirectory, Path dataDirectory,
                                         String entityName, String json) {
        try (OfflineDatabase database = OfflineDatabase.open(config, configDirectory, dataDirectory)) {
            return create(database.schema(), database.documents(), entityName, json);
        }
    }

    private static JsonNode create(Schema schema, DocumentService documents, String entityName, String json) {
        Entity entity = schema.entity(entityName).orElseThrow(() -> new StartupException("Unknown entity '"
                + entityName + "'"));
        JsonNode body;
        try {
            // Read as the API reads bodies: numbers exactly, a duplicated key refused.
            body = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build().readTree(json);
        } catch (JacksonException e) {
            throw new StartupException("The document is not valid JSON: " + e.getOriginalMessage());
        }
        if (body == null || !body.isObject()) {
            throw new StartupException("The document must be a JSON object");
        }
        return documents.create(entity, (ObjectNode) body).map(outcome -> RenderedJson.tree(outcome.data()))
                .block(Duration.ofSeconds(60));
    }

    /** Whether the schema declares a login service, so entity routes need a session. */
    public boolean sessionsEnabled() {
        return context.getBean(Sessions.class).enabled();
    }

    /** The port HTTP listens on (useful with {@code server_port: 0}). */
    public int port() {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    /** The port Actuator listens on: {@link #port()} unless {@code management.port} moved it. */
    public int managementPort() {
        Integer moved = context.getEnvironment().getProperty("local.management.port", Integer.class);
        return moved != null ? moved : port();
    }

    /**
     * Stops the server as SIGTERM does: the web server's graceful shutdown (requests and streams in
     * flight finish, new connections are refused), then the pool and the embedded PostgreSQL.
     */
    @Override
    public void close() {
        context.close();
        database.run();
    }

    /**
     * Closes the pool, then stops the embedded PostgreSQL; once, whoever asks first. Registered as the
     * first disposable bean of the context, so Spring runs it last: after the lifecycle phase in which
     * the web server drains its requests (a {@code ContextClosedEvent} listener would run before it, and
     * pull the database from under the requests still being served).
     */
    private static final class DatabaseRelease implements Runnable {

        private final PostgreSQLCore core;
        private final @Nullable EmbeddedPostgreSQL embedded;
        private final AtomicBoolean released = new AtomicBoolean();

        DatabaseRelease(PostgreSQLCore core, @Nullable EmbeddedPostgreSQL embedded) {
            this.core = core;
            this.embedded = embedded;
        }

        @Override
        public void run() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            core.close();
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    /**
     * Sets logging up from the configuration before anything else logs, as Spring Boot does when it
     * starts, so that with {@code log_format: json} the start-up lines (embedded PostgreSQL, pool,
     * migration) are JSON too. Spring Boot then finds logging initialized and only applies the levels.
     */
    public static void initializeLogging(EventsConfig config) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addLast(new MapPropertySource("events", properties(config)));
        LoggingSystem logging = LoggingSystem.get(EventsServer.class.getClassLoader());
        logging.beforeInitialize();
        logging.initialize(new LoggingInitializationContext(environment), null, null);
    }

    /** A wildcard listen address is reachable as localhost. */
    private static String shownHost(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "localhost"
                : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    static Schema loadSchema(EventsConfig config, @Nullable Path configDirectory) {
        String source = config.schema() == null ? "the built-in Events schema" : config.schema();
        try {
            String text;
            if (config.schema() == null) {
                try (InputStream in = EventsServer.class.getResourceAsStream("/events-schema.yaml")) {
                    if (in == null) {
                        throw new StartupException("The built-in schema is missing from the jar");
                    }
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } else {
                text = Files.readString(Path.of(config.schema()));
            }
            String overrides = null;
            if (configDirectory != null && Files.isRegularFile(configDirectory.resolve("overrides.json"))) {
                overrides = Files.readString(configDirectory.resolve("overrides.json"));
            }
            return new SchemaLoader().load(text, overrides);
        } catch (IOException e) {
            throw new StartupException("Cannot read schema " + source + ": " + ConfigLoader.reason(e));
        } catch (SchemaException e) {
            throw new StartupException("Schema error in " + source + ": " + e.getMessage());
        }
    }

    private static ConfigurableApplicationContext spring(EventsConfig config, Schema schema, DocumentStore store,
                                                         PostgreSQLCore core, DatabaseRelease database) {
        SpringApplication application = new SpringApplication(EventsApplication.class);
        application.setDefaultProperties(properties(config));
        application.setRegisterShutdownHook(true);
        application.addInitializers(context -> {
            var beans = context.getBeanFactory();
            ((DefaultListableBeanFactory) beans).registerDisposableBean("eventsDatabaseRelease", database::run);
            beans.registerSingleton("eventsConfig", config);
            beans.registerSingleton("schema", schema);
            beans.registerSingleton("documentStore", store);
            beans.registerSingleton("sessionStore", ((PostgreSQLDocuments) store).sessions());
            // Boot's R2DBC health check and pool metrics attach to this pool.
            beans.registerSingleton("connectionFactory", core.pool());
            beans.registerSingleton("databaseMetrics", core.metrics());
        });
        try {
            return application.run();
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof PortInUseException portInUse) {
                    throw new StartupException("Port " + portInUse.getPort() + " on " + config.host()
                            + " is already in use");
                }
            }
            throw e;
        }
    }

    private static Map<String, Object> properties(EventsConfig config) {
        String level = config.logLevel().toUpperCase(Locale.ROOT);
        Map<String, Object> properties = new HashMap<>();
        properties.put("server.port", config.serverPort());
        properties.put("server.address", config.host());
        properties.put("spring.main.banner-mode", "off");
        properties.put("spring.application.name", "events-server");
        properties.put("logging.level.events", level);
        properties.put("logging.level.root", "DEBUG".equals(level) ? "INFO" : level);
        // Expected start-up mistakes are reported as one line by Application, not as a failure analysis.
        properties.put("logging.level.org.springframework.boot.SpringApplication", "OFF");
        properties.put("logging.level.org.springframework.boot.diagnostics", "OFF");
        // A client that resets its connection mid-request is ordinary traffic, not a warning per request.
        properties.put("logging.level.reactor.netty.channel.FluxReceive", "ERROR");
        properties.put("management.endpoints.web.exposure.include", "health,prometheus");
        properties.put("management.endpoint.health.probes.enabled", "true");
        properties.put("management.endpoint.health.show-components", "always");
        // Our own database check (DatabaseHealthIndicator) has a deadline; Boot's R2DBC one has none.
        properties.put("management.health.r2dbc.enabled", "false");
        properties.put("management.endpoint.health.group.readiness.include", "readinessState,database");
        operations(config, properties);
        return properties;
    }

    /** api.md 15: shutdown, Actuator's port, metrics, request ids in logs, the log format. */
    static void operations(EventsConfig config, Map<String, Object> properties) {
        properties.put("server.shutdown", "graceful");
        properties.put("spring.lifecycle.timeout-per-shutdown-phase", config.shutdownGraceSeconds() + "s");
        Integer managementPort = config.management().port();
        if (managementPort != null) {
            properties.put("management.server.port", managementPort);
            properties.put("management.server.address", config.host()); // else every interface
        }
        // Latency histograms with a few fixed buckets: bounded series per route, enough for quantiles.
        for (String timer : List.of("http.server.requests", DatabaseMetrics.STATEMENTS, DatabaseMetrics.ACQUIRE)) {
            properties.put("management.metrics.distribution.slo." + timer, LATENCY_BUCKETS);
        }
        // The request id travels in the Reactor context; the lines a request writes set it in their MDC
        // themselves (RequestMdc): automatic propagation to every line costs about 40% more CPU per request.
        properties.put("logging.pattern.correlation", "%replace([%X{" + RequestIds.MDC_KEY + "}] ){'\\[\\] ', ''}");
        if (config.jsonLogs()) {
            properties.put("logging.structured.format.console", "logstash");
        }
    }
}
