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
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.PortInUseException;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.config.StartupException;
import events.db.DocumentStore;
import events.db.postgresql.EmbeddedPostgreSQL;
import events.db.postgresql.PostgreSQLCore;
import events.db.postgresql.PostgreSQLDocuments;
import events.documents.DocumentService;
import events.documents.Outcome;
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

    private final ConfigurableApplicationContext context;
    private final PostgreSQLCore core;
    private final @Nullable EmbeddedPostgreSQL embedded;

    private EventsServer(ConfigurableApplicationContext context, PostgreSQLCore core, @Nullable EmbeddedPostgreSQL embedded) {
        this.context = context;
        this.core = core;
        this.embedded = embedded;
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
        Schema schema = loadSchema(config, configDirectory);
        EmbeddedPostgreSQL embedded = config.embedded() ? EmbeddedPostgreSQL.start(dataDirectory, 0) : null;
        PostgreSQLCore core = null;
        try {
            core = PostgreSQLCore.connect(embedded != null ? embedded.uri() : config.dbUri(), config);
            JsonMapper json = JsonMapper.builder().build();
            PostgreSQLDocuments store = new PostgreSQLDocuments(schema, core, config.caseSensitive(), json);
            store.migrate(MIGRATION_TIMEOUT);
            ConfigurableApplicationContext context = spring(config, schema, store, core);
            EventsServer server = new EventsServer(context, core, embedded);
            context.addApplicationListener(event -> {
                if (event instanceof ContextClosedEvent) {
                    server.releaseDatabase();
                }
            });
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
        return documents.create(entity, (ObjectNode) body).map(Outcome::data).block(Duration.ofSeconds(60));
    }

    /** Whether the schema declares a login service, so entity routes need a session. */
    public boolean sessionsEnabled() {
        return context.getBean(Sessions.class).enabled();
    }

    /** The port HTTP listens on (useful with {@code server_port: 0}). */
    public int port() {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    @Override
    public void close() {
        context.close();
        releaseDatabase();
    }

    private void releaseDatabase() {
        core.close();
        if (embedded != null) {
            embedded.close();
        }
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
                                                         PostgreSQLCore core) {
        SpringApplication application = new SpringApplication(EventsApplication.class);
        application.setDefaultProperties(properties(config));
        application.setRegisterShutdownHook(true);
        application.addInitializers(context -> {
            var beans = context.getBeanFactory();
            beans.registerSingleton("eventsConfig", config);
            beans.registerSingleton("schema", schema);
            beans.registerSingleton("documentStore", store);
            beans.registerSingleton("sessionStore", ((PostgreSQLDocuments) store).sessions());
            // Boot's R2DBC health check and pool metrics attach to this pool.
            beans.registerSingleton("connectionFactory", core.pool());
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
        properties.put("management.endpoints.web.exposure.include", "health");
        properties.put("management.endpoint.health.probes.enabled", "true");
        properties.put("management.endpoint.health.show-components", "always");
        // Our own database check (DatabaseHealthIndicator) has a deadline; Boot's R2DBC one has none.
        properties.put("management.health.r2dbc.enabled", "false");
        properties.put("management.endpoint.health.group.readiness.include", "readinessState,database");
        return properties;
    }
}
