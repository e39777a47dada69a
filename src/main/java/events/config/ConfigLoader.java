package events.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds the {@link EventsConfig}: documented defaults, then the JSON file, then {@code EVENTS_<KEY>}
 * environment variables ({@code EVENTS_POOL_MAX} reaches into the nested {@code pool} object too).
 * Binding is Jackson's; this class only layers the sources and turns mistakes into one-line errors.
 */
public final class ConfigLoader {

    private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);
    private static final String ENV_PREFIX = "EVENTS_";
    private static final Set<String> VALIDATION_MODES = Set.of("none", "single", "multiple");
    private static final Set<String> ENVIRONMENTS = Set.of("development", "production");
    private static final Set<String> LOG_LEVELS = Set.of("debug", "info", "warn", "error");
    private static final Set<String> COUNT_MODES = Set.of("exact", "estimated", "none");
    private static final Set<String> LOG_FORMATS = Set.of("text", "json");

    private final JsonMapper mapper = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** Loads the configuration from the optional file and the given environment. */
    public EventsConfig load(Path file, Map<String, String> environment) {
        ObjectNode merged = mapper.valueToTree(EventsConfig.defaults());
        if (file != null) {
            ObjectNode fromFile = readFile(file);
            for (String key : fromFile.propertyNames()) {
                if (!merged.has(key)) {
                    log.warn("Ignoring unknown configuration key '{}'", key);
                }
            }
            deepMerge(merged, fromFile, "");
        }
        applyEnvironment(merged, environment);
        EventsConfig config;
        try {
            config = mapper.treeToValue(merged, EventsConfig.class);
        } catch (JacksonException e) {
            throw new StartupException("Configuration error: " + describe(e));
        }
        return check(config);
    }

    private ObjectNode readFile(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new StartupException("Cannot read configuration file " + file + ": " + reason(e));
        }
        JsonNode node;
        try {
            node = mapper.readTree(text);
        } catch (JacksonException e) {
            throw new StartupException("Configuration file " + file + " is not valid JSON: "
                    + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new StartupException("Configuration file " + file + " must hold a JSON object");
        }
        return (ObjectNode) node;
    }

    /** Copies {@code source} into {@code target}, recursing where both sides hold objects. */
    private void deepMerge(ObjectNode target, ObjectNode source, String path) {
        for (Map.Entry<String, JsonNode> entry : source.properties()) {
            JsonNode existing = target.get(entry.getKey());
            if (existing != null && existing.isObject() && entry.getValue().isObject()) {
                deepMerge((ObjectNode) existing, (ObjectNode) entry.getValue(), path + entry.getKey() + ".");
            } else {
                target.set(entry.getKey(), entry.getValue());
            }
        }
    }

    private void applyEnvironment(ObjectNode merged, Map<String, String> environment) {
        for (String key : List.copyOf(merged.propertyNames())) {
            JsonNode current = merged.get(key);
            String value = environment.get(ENV_PREFIX + key.toUpperCase(Locale.ROOT));
            if (value != null) {
                JsonNode parsed = parseEnv(ENV_PREFIX + key.toUpperCase(Locale.ROOT), value, current);
                if (current.isObject() && parsed.isObject()) {
                    deepMerge((ObjectNode) current, (ObjectNode) parsed, key + ".");
                } else {
                    merged.set(key, parsed);
                }
            }
            if (current.isObject()) {
                ObjectNode nested = (ObjectNode) merged.get(key);
                for (String sub : List.copyOf(nested.propertyNames())) {
                    String name = ENV_PREFIX + (key + "_" + sub).toUpperCase(Locale.ROOT);
                    String subValue = environment.get(name);
                    if (subValue != null) {
                        nested.set(sub, parseEnv(name, subValue, nested.get(sub)));
                    }
                }
            }
        }
    }

    /** Environment values are text; the default's JSON type says how to read them. */
    private JsonNode parseEnv(String name, String value, JsonNode like) {
        if (like == null || like.isNull() || like.isString()) {
            return JsonNodeFactory.instance.stringNode(value);
        }
        if (like.isArray() && value.isBlank()) {
            return JsonNodeFactory.instance.arrayNode(); // EVENTS_DB_READ_URIS= : the empty list
        }
        try {
            return mapper.readTree(value);
        } catch (JacksonException e) {
            if (like.isArray()) {
                // A plain comma-separated list is friendlier in a shell than JSON.
                var array = JsonNodeFactory.instance.arrayNode();
                for (String part : value.split(",")) {
                    if (!part.isBlank()) {
                        array.add(part.trim());
                    }
                }
                return array;
            }
            throw new StartupException("Environment variable " + name + " is not a valid "
                    + like.getNodeType().name().toLowerCase(Locale.ROOT) + ": " + value);
        }
    }

    private static EventsConfig check(EventsConfig config) {
        if (!"postgresql".equals(config.database())) {
            throw new StartupException("Configuration error: database must be 'postgresql', not '"
                    + config.database() + "'");
        }
        if (!config.embedded() && !config.dbUri().startsWith("postgresql://")
                && !config.dbUri().startsWith("postgres://")) {
            throw new StartupException("Configuration error: db_uri must be 'embedded' or a postgresql:// URI");
        }
        requireOneOf("validation", config.validation(), VALIDATION_MODES);
        requireOneOf("environment", config.environment(), ENVIRONMENTS);
        requireOneOf("log_level", config.logLevel(), LOG_LEVELS);
        requireOneOf("default_count", config.defaultCount(), COUNT_MODES);
        requireOneOf("log_format", config.logFormat(), LOG_FORMATS);
        if (config.serverPort() < 0 || config.serverPort() > 65535) {
            throw new StartupException("Configuration error: server_port must be 0-65535, not " + config.serverPort());
        }
        if (config.dbName().isBlank()) {
            throw new StartupException("Configuration error: db_name must not be empty");
        }
        var pool = config.pool();
        if (pool.max() < 1 || pool.min() < 0 || pool.acquireTimeoutMs() < 1 || pool.maxIdleSeconds() < 1
                || pool.statementTimeoutMs() < 0) {
            throw new StartupException("Configuration error: pool needs max >= 1, min >= 0, "
                    + "acquire_timeout_ms >= 1, max_idle_seconds >= 1, statement_timeout_ms >= 0");
        }
        var session = config.session();
        if (session.ttlSeconds() < 1 || session.maxAgeSeconds() < 1) {
            throw new StartupException("Configuration error: session ttl_seconds and max_age_seconds must be >= 1");
        }
        if (config.streamStallSeconds() < 1) {
            throw new StartupException("Configuration error: stream_stall_seconds must be >= 1");
        }
        if (config.http().headerTimeoutSeconds() < 0 || config.http().idleTimeoutSeconds() < 0) {
            throw new StartupException("Configuration error: http header_timeout_seconds and idle_timeout_seconds "
                    + "must be >= 0 (0 turns the limit off)");
        }
        if (config.shutdownGraceSeconds() < 0) {
            throw new StartupException("Configuration error: shutdown_grace_seconds must be >= 0");
        }
        for (String readUri : config.dbReadUris()) {
            if (!readUri.startsWith("postgresql://") && !readUri.startsWith("postgres://")) {
                throw new StartupException("Configuration error: each of db_read_uris must be a postgresql:// URI");
            }
        }
        if (config.maxReplicaLagMs() < 0 || config.readYourWritesMs() < 0 || config.replicaProbeMs() < 10) {
            throw new StartupException("Configuration error: max_replica_lag_ms and read_your_writes_ms must be >= 0, "
                    + "replica_probe_ms >= 10");
        }
        Integer managementPort = config.management().port();
        if (managementPort != null && (managementPort < 0 || managementPort > 65535)) {
            throw new StartupException("Configuration error: management port must be 0-65535, not " + managementPort);
        }
        return config;
    }

    private static void requireOneOf(String key, String value, Set<String> allowed) {
        if (!allowed.contains(value)) {
            throw new StartupException("Configuration error: " + key + " must be one of "
                    + allowed.stream().sorted().toList() + ", not '" + value + "'");
        }
    }

    /** A short reason for a failed file read, without exception class names. */
    public static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() == null ? "read failed" : e.getMessage();
    }

    private static String describe(JacksonException e) {
        String path = e.getPath().stream()
                .map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
                .reduce((a, b) -> a + "." + b).orElse("?");
        return "bad value for '" + path + "' (" + e.getOriginalMessage().split("\n")[0] + ")";
    }
}
