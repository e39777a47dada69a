package events.config;

import java.util.List;
import java.util.Objects;

/**
 * The effective server configuration (api.md 1.1): file values over defaults, environment over both.
 * Bound from JSON with snake_case names, so the record components mirror the documented keys.
 */
public record EventsConfig(
        String projectName,
        String database,
        String dbUri,
        String dbName,
        String schema,
        String host,
        int serverPort,
        String validation,
        boolean caseSensitive,
        String environment,
        String logLevel,
        PoolSettings pool,
        List<String> corsOrigins,
        SessionSettings session,
        int streamStallSeconds,
        HttpSettings http,
        String defaultCount,
        String logFormat,
        boolean accessLog,
        int shutdownGraceSeconds,
        ManagementSettings management,
        List<String> dbReadUris,
        int maxReplicaLagMs,
        int readYourWritesMs,
        int replicaProbeMs) {

    public EventsConfig {
        Objects.requireNonNull(projectName, "projectName must not be null");
        Objects.requireNonNull(database, "database must not be null");
        Objects.requireNonNull(dbUri, "dbUri must not be null");
        Objects.requireNonNull(dbName, "dbName must not be null");
        Objects.requireNonNull(host, "host must not be null");
        Objects.requireNonNull(validation, "validation must not be null");
        Objects.requireNonNull(environment, "environment must not be null");
        Objects.requireNonNull(logLevel, "logLevel must not be null");
        Objects.requireNonNull(pool, "pool must not be null");
        Objects.requireNonNull(session, "session must not be null");
        Objects.requireNonNull(http, "http must not be null");
        Objects.requireNonNull(defaultCount, "defaultCount must not be null");
        Objects.requireNonNull(logFormat, "logFormat must not be null");
        Objects.requireNonNull(management, "management must not be null");
        corsOrigins = List.copyOf(corsOrigins == null ? List.of() : corsOrigins);
        dbReadUris = List.copyOf(dbReadUris == null ? List.of() : dbReadUris);
    }

    /** The documented defaults; {@code schema} null means the built-in Events schema. */
    public static EventsConfig defaults() {
        return new EventsConfig("Events", "postgresql", "embedded", "events", null, "127.0.0.1", 5500,
                "none", false, "development", "info", PoolSettings.defaults(),
                List.of("http://localhost:4200"), SessionSettings.defaults(), 30, HttpSettings.defaults(), "exact",
                "text", false, 20, ManagementSettings.defaults(), List.of(), 5000, 60000, 500);
    }

    public boolean embedded() {
        return "embedded".equalsIgnoreCase(dbUri);
    }

    public boolean production() {
        return "production".equals(environment);
    }

    /** {@code log_format: json}: one JSON object per log line (api.md 15). */
    public boolean jsonLogs() {
        return "json".equals(logFormat);
    }


    /** Connection pool settings, applied to r2dbc-pool. */
    public record PoolSettings(int min, int max, int maxIdleSeconds, int acquireTimeoutMs, int statementTimeoutMs) {
        public static PoolSettings defaults() {
            return new PoolSettings(5, 20, 300, 2000, 60000);
        }
    }

    /** Session lifetimes and cookie flags (api.md 9.1). */
    public record SessionSettings(int ttlSeconds, int maxAgeSeconds, boolean secureCookie) {
        public static SessionSettings defaults() {
            return new SessionSettings(3600, 28800, true);
        }
    }

    /**
     * Connection limits of the HTTP server: a client must finish sending a request's headers within
     * {@code headerTimeoutSeconds}, and a kept-alive connection with no request for
     * {@code idleTimeoutSeconds} is closed.
     */
    public record HttpSettings(int headerTimeoutSeconds, int idleTimeoutSeconds) {
        public static HttpSettings defaults() {
            return new HttpSettings(10, 60);
        }
    }

    /**
     * Where Actuator ({@code /actuator/health}, {@code /actuator/prometheus}) listens: {@code port} null
     * means the API's own port; another port moves it there, on the same {@code host}.
     */
    public record ManagementSettings(Integer port) {
        public static ManagementSettings defaults() {
            return new ManagementSettings(null);
        }
    }
}
