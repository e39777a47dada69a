package events.db.postgresql;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.config.EventsConfig;
import events.config.DatabaseUri;
import events.config.StartupException;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlException;
import io.r2dbc.postgresql.client.SSLMode;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ValidationDepth;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Connects to PostgreSQL: builds the r2dbc-pool from the {@code pool} settings, creating the database
 * first when it is missing. The blocking calls here run once, at start-up.
 */
public final class PostgreSQLCore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostgreSQLCore.class);
    private static final String APPLICATION_NAME = "events-server";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    private final ConnectionPool pool;
    private final DatabaseUri uri;
    private final EventsConfig.PoolSettings settings;
    private final DatabaseMetrics metrics = new DatabaseMetrics();
    private final ReadReplicas replicas;

    private PostgreSQLCore(ConnectionPool pool, DatabaseUri uri, EventsConfig config) {
        this.pool = pool;
        this.uri = uri;
        this.settings = config.pool();
        this.replicas = new ReadReplicas(new Statements(pool, acquireTimeout(), settings.max(), metrics), uri, config,
                metrics);
    }

    /** Connects to {@code uri} (its database, else {@code dbName}), creating the database if needed. */
    public static PostgreSQLCore connect(String uriText, EventsConfig config) {
        DatabaseUri parsed = DatabaseUri.parse(uriText);
        DatabaseUri uri = parsed.database() == null ? parsed.withDatabase(config.dbName()) : parsed;
        ensureDatabase(uri, config);
        EventsConfig.PoolSettings settings = config.pool();
        PostgresqlConnectionFactory factory = new PostgresqlConnectionFactory(connection(uri, config).build());
        ConnectionPoolConfiguration poolConfiguration = ConnectionPoolConfiguration.builder(factory)
                .name("events")
                .initialSize(Math.min(settings.min(), settings.max()))
                .minIdle(Math.min(settings.min(), settings.max()))
                .maxSize(settings.max())
                .maxIdleTime(Duration.ofSeconds(settings.maxIdleSeconds()))
                // No maxAcquireTime: Statements times every acquire itself (one timer, not two).
                .maxCreateConnectionTime(Duration.ofMillis(settings.acquireTimeoutMs()))
                // LOCAL: a connection whose socket closed (database restarted) is dropped on acquire;
                // Statements retries such failures at once. No retry of time-outs: one wait, then 503.
                .validationDepth(ValidationDepth.LOCAL)
                .acquireRetry(0)
                .build();
        ConnectionPool pool = new ConnectionPool(poolConfiguration);
        try {
            pool.warmup().block(STARTUP_TIMEOUT);
        } catch (RuntimeException e) {
            pool.dispose();
            throw new StartupException("Cannot connect to the database at " + uri + ": " + describe(e));
        }
        log.info("Connected to {} (pool {}..{})", uri, settings.min(), settings.max());
        return new PostgreSQLCore(pool, uri, config);
    }

    /**
     * A pool on a read replica ({@code db_read_uris}): same settings as the primary's, but it starts
     * empty and never fails the start-up; a replica that is down is the probe's business.
     */
    static ConnectionPool replicaPool(DatabaseUri uri, EventsConfig config, String name) {
        EventsConfig.PoolSettings settings = config.pool();
        return new ConnectionPool(ConnectionPoolConfiguration.builder(
                        new PostgresqlConnectionFactory(connection(uri, config).build()))
                .name(name)
                .initialSize(0)
                .maxSize(settings.max())
                .maxIdleTime(Duration.ofSeconds(settings.maxIdleSeconds()))
                .maxCreateConnectionTime(Duration.ofMillis(settings.acquireTimeoutMs()))
                .validationDepth(ValidationDepth.LOCAL)
                .acquireRetry(0)
                .build());
    }

    /** The read replicas ({@code db_read_uris}; none configured: every read on this pool). */
    public ReadReplicas replicas() {
        return replicas;
    }

    public ConnectionPool pool() {
        return pool;
    }

    public DatabaseUri uri() {
        return uri;
    }

    /** Statement and acquire timers of this pool's work, bound to a registry by Spring Boot. */
    public DatabaseMetrics metrics() {
        return metrics;
    }

    /** The pool's maximum number of connections. */
    public int maxSize() {
        return settings.max();
    }

    /** How long a request waits for a connection before it gets a 503. */
    public Duration acquireTimeout() {
        return Duration.ofMillis(settings.acquireTimeoutMs());
    }

    @Override
    public void close() {
        replicas.close();
        pool.dispose();
    }

    private static PostgresqlConnectionConfiguration.Builder connection(DatabaseUri uri, EventsConfig config) {
        Map<String, String> options = new HashMap<>(uri.params());
        String sslMode = options.remove("sslmode");
        String connectTimeout = options.remove("connect_timeout");
        options.remove("application_name");
        PostgresqlConnectionConfiguration.Builder builder = PostgresqlConnectionConfiguration.builder()
                .host(uri.host())
                .port(uri.port())
                .username(uri.user())
                .database(uri.database())
                .applicationName(APPLICATION_NAME)
                .connectTimeout(connectTimeout != null ? Duration.ofSeconds(Long.parseLong(connectTimeout))
                        : Duration.ofMillis(Math.max(config.pool().acquireTimeoutMs(), 1000)))
                .statementTimeout(Duration.ofMillis(config.pool().statementTimeoutMs()))
                .preparedStatementCacheQueries(256)
                .tcpKeepAlive(true);
        if (uri.password() != null) {
            builder.password(uri.password());
        }
        if (sslMode != null) {
            builder.sslMode(SSLMode.fromValue(sslMode));
        }
        if (!options.isEmpty()) {
            builder.options(options);
        }
        return builder;
    }

    /** Creates the database when it does not exist and the role may; the one place we use the maintenance db. */
    private static void ensureDatabase(DatabaseUri uri, EventsConfig config) {
        PostgresqlConnectionFactory target = new PostgresqlConnectionFactory(connection(uri, config).build());
        try {
            Mono.usingWhen(target.create(), c -> Mono.empty(), Connection::close).block(STARTUP_TIMEOUT);
            return;
        } catch (RuntimeException e) {
            if (!"3D000".equals(sqlState(e))) {
                throw new StartupException("Cannot connect to the database at " + uri + ": " + describe(e));
            }
        }
        PostgresqlConnectionFactory maintenance = new PostgresqlConnectionFactory(
                connection(uri.withDatabase("postgres"), config).build());
        try {
            Flux.usingWhen(maintenance.create(),
                    c -> Flux.from(c.createStatement("CREATE DATABASE " + Sql.quoteIdent(uri.database())).execute())
                            .flatMap(result -> result.getRowsUpdated()),
                    Connection::close).blockLast(STARTUP_TIMEOUT);
            log.info("Created database {}", uri.database());
        } catch (RuntimeException e) {
            if ("42P04".equals(sqlState(e)) || "23505".equals(sqlState(e))) {
                return; // created concurrently by another server process (23505: in the same instant)
            }
            throw new StartupException("Database '" + uri.database() + "' does not exist and could not be created at "
                    + uri + ": " + describe(e));
        }
    }

    static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PostgresqlException pg) {
                return pg.getErrorDetails().getCode();
            }
        }
        return "";
    }

    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
        if (e.getMessage() != null && root != e && e.getMessage().length() < 200) {
            message = e.getMessage() + (e.getMessage().contains(message) ? "" : " (" + message + ")");
        }
        return message.lines().findFirst().orElse(message);
    }
}
