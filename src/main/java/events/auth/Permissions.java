package events.auth;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import events.schema.Entity;
import events.schema.Schema;
import tools.jackson.core.JacksonException;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A role's grants expanded over the schema (api.md 9.2): entity names (case-insensitive) or {@code *}
 * map to letters of {@code c r u d s}; a specific key overrides {@code *}, an empty string removes the
 * entity, {@code s} grants everything. The result lists, in schema order, each entity with a grant,
 * {@code s} written out as {@code cruds}: clients test single letters ({@code "s".includes("c")} is false).
 *
 * <p>Examples: {@code {"*": "cru", "Role": "r", "Auth": ""}} → every entity {@code cru} except Role
 * {@code r}, and no Auth at all; {@code "{'*': 'r', account: 's'}"} (JSON5 in a string) → every entity
 * {@code r}, and Account {@code cruds} (everything).
 */
public final class Permissions {

    private static final JsonMapper JSON5 = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_UNQUOTED_PROPERTY_NAMES)
            .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .build();

    private final Map<String, String> byEntity;

    private Permissions(Map<String, String> byEntity) {
        this.byEntity = byEntity;
    }

    /** No grants at all. */
    public static Permissions none() {
        return new Permissions(Map.of());
    }

    /** Expands a role's {@code permissions} as stored (JSON text); junk grants nothing. */
    public static Permissions expand(Schema schema, @Nullable String storedJson) {
        if (storedJson == null) {
            return expand(schema, (JsonNode) null);
        }
        try {
            return expand(schema, JSON5.readTree(storedJson));
        } catch (JacksonException e) {
            return none();
        }
    }

    /** Expands a role's {@code permissions} value (object, or string holding one); junk grants nothing. */
    public static Permissions expand(Schema schema, JsonNode permissions) {
        JsonNode grants = parse(permissions).orElse(null);
        Map<String, String> expanded = new LinkedHashMap<>();
        if (grants == null) {
            return new Permissions(expanded);
        }
        Map<String, String> specific = new LinkedHashMap<>();
        String wildcard = "";
        for (Map.Entry<String, JsonNode> entry : grants.properties()) {
            String letters = entry.getValue().isString() ? normalise(entry.getValue().asString()) : "";
            if (entry.getKey().equals("*")) {
                wildcard = letters;
            } else {
                specific.put(entry.getKey().toLowerCase(Locale.ROOT), letters);
            }
        }
        for (Entity entity : schema.entities()) {
            String letters = specific.getOrDefault(entity.name().toLowerCase(Locale.ROOT), wildcard);
            if (!letters.isEmpty()) {
                expanded.put(entity.name(), letters);
            }
        }
        return new Permissions(expanded);
    }

    /** Whether {@code operation} (one of {@code c r u d}) is granted on {@code entity}. */
    public boolean allows(Entity entity, char operation) {
        String letters = byEntity.getOrDefault(entity.name(), "");
        return letters.indexOf('s') >= 0 || letters.indexOf(operation) >= 0;
    }

    /** Whether the role has {@code s} on every entity of the schema (api.md 10, db/init). */
    public boolean superuser(Schema schema) {
        return schema.entities().stream().allMatch(e -> byEntity.getOrDefault(e.name(), "").indexOf('s') >= 0);
    }

    public boolean isEmpty() {
        return byEntity.isEmpty();
    }

    /** Entity name → letters, in schema order. */
    public Map<String, String> byEntity() {
        return byEntity;
    }

    private static Optional<JsonNode> parse(JsonNode permissions) {
        if (permissions == null || permissions.isNull()) {
            return Optional.empty();
        }
        if (permissions.isObject()) {
            return Optional.of(permissions);
        }
        if (permissions.isString()) {
            try {
                JsonNode parsed = JSON5.readTree(permissions.asString());
                return parsed != null && parsed.isObject() ? Optional.of(parsed) : Optional.empty();
            } catch (JacksonException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** Keeps the known letters, in {@code cruds} order, each once; {@code s} implies all of them. */
    private static String normalise(String letters) {
        if (letters.toLowerCase(Locale.ROOT).indexOf('s') >= 0) {
            return "cruds";
        }
        StringBuilder result = new StringBuilder();
        for (char letter : "cruds".toCharArray()) {
            if (letters.toLowerCase(Locale.ROOT).indexOf(letter) >= 0) {
                result.append(letter);
            }
        }
        return result.toString();
    }
}
