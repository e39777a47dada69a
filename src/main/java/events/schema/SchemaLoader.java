package events.schema;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads a schema file (api.md 2), checks it and builds the {@link Schema}. Every mistake becomes a
 * {@link SchemaException} naming the entity and field.
 */
public final class SchemaLoader {

    private static final Pattern ENTITY_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,62}");
    private static final Pattern FIELD_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final Pattern OPERATIONS = Pattern.compile("[crud]*");
    private static final String DICTIONARY_PREFIX = "dictionary=";
    /** A text search configuration name, optionally schema-qualified ({@code simple}, {@code pg_catalog.english}). */
    private static final Pattern TEXT_SEARCH_CONFIG = Pattern.compile("([a-z_][a-z0-9_]*\\.)?[a-z_][a-z0-9_]*");
    private static final Pattern SEARCH_WEIGHT = Pattern.compile("[ABCD]");

    private final YAMLMapper yaml = YAMLMapper.builder().build();
    private final JsonMapper json = JsonMapper.builder().build();

    /** Parses YAML text; {@code overrides} (from overrides.json) is deep-merged into the metadata. */
    public Schema load(String yamlText, @Nullable String overridesJson) {
        JsonNode root;
        try {
            root = yaml.readTree(yamlText);
        } catch (JacksonException e) {
            throw new SchemaException("schema is not valid YAML: " + e.getOriginalMessage().split("\n")[0]);
        }
        if (root == null || !root.isObject()) {
            throw new SchemaException("schema must be a YAML mapping with 'entities'");
        }
        Map<String, String> dictionaries = dictionaries(root.path("dictionaries"));
        JsonNode entitiesNode = root.path("entities");
        if (!entitiesNode.isObject() || entitiesNode.isEmpty()) {
            throw new SchemaException("schema has no 'entities'");
        }
        Map<String, String> entityNames = new LinkedHashMap<>();
        for (String name : entitiesNode.propertyNames()) {
            if (!ENTITY_NAME.matcher(name).matches()) {
                throw new SchemaException("entity '" + name + "': names must be letters, digits or '_' (max 63)");
            }
            if (name.equalsIgnoreCase("events_sessions")) {
                throw new SchemaException("entity '" + name + "': the name is reserved for the session table");
            }
            if (name.equalsIgnoreCase("events_secrets")) {
                throw new SchemaException("entity '" + name + "': the name is reserved for the server's secrets");
            }
            if (name.equalsIgnoreCase("events_versions")) {
                throw new SchemaException("entity '" + name + "': the name is reserved for the version sequence");
            }
            if (entityNames.put(name.toLowerCase(Locale.ROOT), name) != null) {
                throw new SchemaException("entity '" + name + "' is declared twice (names are case-insensitive)");
            }
        }
        List<Entity> entities = new ArrayList<>();
        ObjectNode metadataEntities = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> entry : entitiesNode.properties()) {
            String name = entry.getKey();
            JsonNode node = entry.getValue();
            if (!node.isObject()) {
                throw new SchemaException("entity " + name + ": must be a mapping with 'fields'");
            }
            ObjectNode metadataEntity = ((ObjectNode) node).deepCopy();
            entities.add(entity(name, (ObjectNode) node, dictionaries, entityNames, metadataEntity));
            metadataEntities.set(name, metadataEntity);
        }
        checkServices(entities, entityNames);
        ObjectNode metadata = JsonNodeFactory.instance.objectNode();
        metadata.set("entities", metadataEntities);
        if (overridesJson != null) {
            try {
                JsonNode overrides = json.readTree(overridesJson);
                if (overrides != null && overrides.isObject()) {
                    deepMerge(metadata, (ObjectNode) overrides);
                }
            } catch (JacksonException e) {
                throw new SchemaException("overrides.json is not valid JSON: " + e.getOriginalMessage());
            }
        }
        String project = root.path("project").asString("Events");
        return new Schema(project, entities, metadata, textSearchConfig(root.path("text_search_config")));
    }

    /** {@code text_search_config}: a PostgreSQL configuration name; whether it exists is checked at start. */
    private static String textSearchConfig(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return Schema.DEFAULT_TEXT_SEARCH_CONFIG;
        }
        String name = node.isString() ? node.asString().trim().toLowerCase(Locale.ROOT) : "";
        if (!TEXT_SEARCH_CONFIG.matcher(name).matches()) {
            throw new SchemaException("text_search_config must name a text search configuration (e.g. simple, "
                    + "english), not '" + node.asString("") + "'");
        }
        return name;
    }

    private Map<String, String> dictionaries(JsonNode node) {
        Map<String, String> result = new HashMap<>();
        if (node.isMissingNode() || node.isNull()) {
            return result;
        }
        if (!node.isObject()) {
            throw new SchemaException("dictionaries must be a mapping of groups");
        }
        for (Map.Entry<String, JsonNode> group : node.properties()) {
            for (Map.Entry<String, JsonNode> item : group.getValue().properties()) {
                result.put(group.getKey() + "." + item.getKey(), item.getValue().asString());
            }
        }
        return result;
    }

    private Entity entity(String name, ObjectNode node, Map<String, String> dictionaries,
                          Map<String, String> entityNames, ObjectNode metadataEntity) {
        JsonNode fieldsNode = node.path("fields");
        if (!fieldsNode.isObject()) {
            throw new SchemaException("entity " + name + ": 'fields' must be a mapping");
        }
        ObjectNode metadataFields = JsonNodeFactory.instance.objectNode();
        List<Field> fields = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, JsonNode> entry : fieldsNode.properties()) {
            String fieldName = entry.getKey();
            String where = "entity " + name + " field " + fieldName;
            if (!FIELD_NAME.matcher(fieldName).matches()) {
                throw new SchemaException(where + ": names must be letters, digits or '_' (max 63)");
            }
            if (fieldName.equalsIgnoreCase("id")) {
                throw new SchemaException(where + ": 'id' is implicit and cannot be declared");
            }
            if (!seen.add(fieldName.toLowerCase(Locale.ROOT))) {
                throw new SchemaException(where + ": declared twice (names are case-insensitive)");
            }
            if (!entry.getValue().isObject()) {
                throw new SchemaException(where + ": must be a mapping with 'type'");
            }
            ObjectNode metadataField = ((ObjectNode) entry.getValue()).deepCopy();
            fields.add(field(where, fieldName, (ObjectNode) entry.getValue(), dictionaries, entityNames,
                    metadataField));
            metadataFields.set(fieldName, metadataField);
        }
        ObjectNode id = metadataFields.putObject("id");
        id.put("type", "ObjectId");
        id.put("required", true);
        metadataEntity.set("fields", metadataFields);

        Entity draft = new Entity(name, fields, List.of(), "crud", null);
        List<Entity.UniqueKey> uniques = uniques(name, node.path("uniques"), draft);
        String operations = node.path("operations").asString("crud");
        if (!OPERATIONS.matcher(operations).matches()) {
            throw new SchemaException("entity " + name + ": operations must be letters of 'crud', not '"
                    + operations + "'");
        }
        for (String key : List.of("ui", "services")) {
            if (!metadataEntity.has(key)) {
                metadataEntity.putObject(key);
            }
        }
        if (!metadataEntity.has("uniques")) {
            metadataEntity.putArray("uniques");
        }
        metadataEntity.put("operations", operations);

        Entity.LoginService login = login(name, node.path("services").path("authn"), draft);
        if (login != null) {
            List<Field> marked = new ArrayList<>();
            for (Field field : fields) {
                if (field.name().equals(login.passwordField()) && field.searchable()) {
                    throw new SchemaException("entity " + name + " field " + field.name()
                            + ": a secret field cannot be searchable");
                }
                marked.add(field.name().equals(login.passwordField()) ? field.asSecret(true) : field);
            }
            fields = marked;
        }
        return new Entity(name, fields, uniques, operations, login);
    }

    private Field field(String where, String name, ObjectNode node, Map<String, String> dictionaries,
                        Map<String, String> entityNames, ObjectNode metadataField) {
        String typeName = node.path("type").asString(null);
        if (typeName == null) {
            throw new SchemaException(where + ": missing 'type'");
        }
        FieldType type = FieldType.fromSchemaName(typeName).orElseThrow(() -> new SchemaException(
                where + ": unknown type '" + typeName + "'"));
        Pattern pattern = null;
        String patternMessage = null;
        JsonNode patternNode = node.path("pattern");
        if (!patternNode.isMissingNode() && !patternNode.isNull()) {
            String regex = patternNode.isObject() ? patternNode.path("regex").asString(null) : patternNode.asString(null);
            if (regex == null) {
                throw new SchemaException(where + ": pattern needs a 'regex'");
            }
            if (regex.startsWith(DICTIONARY_PREFIX)) {
                String key = regex.substring(DICTIONARY_PREFIX.length());
                String resolved = dictionaries.get(key);
                if (resolved == null) {
                    throw new SchemaException(where + ": pattern refers to unknown dictionary entry '" + key + "'");
                }
                regex = resolved;
                if (patternNode.isObject()) {
                    ((ObjectNode) metadataField.get("pattern")).put("regex", regex);
                } else {
                    metadataField.put("pattern", regex);
                }
            }
            try {
                pattern = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new SchemaException(where + ": pattern does not compile: " + e.getDescription());
            }
            patternMessage = patternNode.isObject() ? patternNode.path("message").asString(null) : null;
        }
        List<String> enumValues = new ArrayList<>();
        String enumMessage = null;
        JsonNode enumNode = node.path("enum");
        if (!enumNode.isMissingNode() && !enumNode.isNull()) {
            JsonNode values = enumNode.isArray() ? enumNode : enumNode.path("values");
            if (!values.isArray() || values.isEmpty()) {
                throw new SchemaException(where + ": enum needs a non-empty list of 'values'");
            }
            values.forEach(v -> enumValues.add(v.asString()));
            enumMessage = enumNode.path("message").asString(null);
        }
        String foreignKey = null;
        if (type == FieldType.OBJECT_ID && name.length() > 2 && name.endsWith("Id")) {
            String target = name.substring(0, name.length() - 2).toLowerCase(Locale.ROOT);
            foreignKey = entityNames.get(target);
            if (foreignKey == null) {
                throw new SchemaException(where + ": foreign key to unknown entity '"
                        + name.substring(0, name.length() - 2) + "'");
            }
        }
        boolean encrypt = flag(where, node, "encrypt");
        boolean secret = encrypt || "secret".equals(node.path("ui").path("display").asString(""));
        Character searchWeight = searchWeight(where, node, type, secret);
        return new Field(name, type, flag(where, node, "required"),
                length(where, node, "min_length"), length(where, node, "max_length"),
                pattern, patternMessage, enumValues, enumMessage,
                bound(where, node, "ge"), bound(where, node, "le"), bound(where, node, "gt"), bound(where, node, "lt"),
                node.has("default") ? node.get("default") : null,
                flag(where, node, "autoGenerate"), flag(where, node, "autoUpdate"),
                secret, encrypt, foreignKey, searchWeight);
    }

    /**
     * {@code search: true} (String fields only, never secret ones) with {@code search_weight} A–D,
     * default B; null when the field is not searchable.
     */
    private static @Nullable Character searchWeight(String where, JsonNode node, FieldType type, boolean secret) {
        boolean search = flag(where, node, "search");
        JsonNode weight = node.path("search_weight");
        boolean weighted = !weight.isMissingNode() && !weight.isNull();
        if (!search) {
            if (weighted) {
                throw new SchemaException(where + ": search_weight needs search: true");
            }
            return null;
        }
        if (type != FieldType.STRING) {
            throw new SchemaException(where + ": search applies to String fields only, not " + type.schemaName());
        }
        if (secret) {
            throw new SchemaException(where + ": a secret field cannot be searchable");
        }
        if (!weighted) {
            return 'B';
        }
        String letter = weight.isString() ? weight.asString().trim().toUpperCase(Locale.ROOT) : "";
        if (!SEARCH_WEIGHT.matcher(letter).matches()) {
            throw new SchemaException(where + ": search_weight must be A, B, C or D, not '" + weight.asString("") + "'");
        }
        return letter.charAt(0);
    }

    private static boolean flag(String where, JsonNode node, String key) {
        JsonNode value = node.path(key);
        if (value.isMissingNode() || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new SchemaException(where + ": '" + key + "' must be true or false");
        }
        return value.booleanValue();
    }

    private static @Nullable Integer length(String where, JsonNode node, String key) {
        JsonNode value = node.path(key);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || value.asInt() < 0) {
            throw new SchemaException(where + ": '" + key + "' must be a non-negative integer");
        }
        return value.asInt();
    }

    private static @Nullable BigDecimal bound(String where, JsonNode node, String key) {
        JsonNode value = node.path(key);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            throw new SchemaException(where + ": '" + key + "' must be a number");
        }
        return value.decimalValue();
    }

    private static List<Entity.UniqueKey> uniques(String entity, JsonNode node, Entity draft) {
        List<Entity.UniqueKey> keys = new ArrayList<>();
        if (node.isMissingNode() || node.isNull()) {
            return keys;
        }
        if (!node.isArray()) {
            throw new SchemaException("entity " + entity + ": 'uniques' must be a list of field lists");
        }
        for (JsonNode key : node) {
            if (!key.isArray() || key.isEmpty()) {
                throw new SchemaException("entity " + entity + ": each unique key must be a non-empty list of fields");
            }
            List<Field> fields = new ArrayList<>();
            for (JsonNode fieldName : key) {
                Field field = draft.field(fieldName.asString()).orElseThrow(() -> new SchemaException(
                        "entity " + entity + ": unique key names unknown field '" + fieldName.asString() + "'"));
                fields.add(field);
            }
            keys.add(new Entity.UniqueKey(fields));
        }
        return keys;
    }

    private static Entity.@Nullable LoginService login(String entity, JsonNode authn, Entity draft) {
        if (authn.isMissingNode() || authn.isNull()) {
            return null;
        }
        String where = "entity " + entity + " services.authn";
        String route = authn.path("route").asString(null);
        String login = authn.path("inputs").path("login").asString(null);
        String password = authn.path("inputs").path("password").asString(null);
        if (route == null || login == null || password == null) {
            throw new SchemaException(where + ": needs 'route', 'inputs.login' and 'inputs.password'");
        }
        Field loginField = draft.field(login).orElseThrow(() -> new SchemaException(
                where + ": inputs.login names unknown field '" + login + "'"));
        Field passwordField = draft.field(password).orElseThrow(() -> new SchemaException(
                where + ": inputs.password names unknown field '" + password + "'"));
        String role = null;
        for (JsonNode delegate : authn.path("delegates")) {
            if (delegate.has("authz")) {
                role = delegate.get("authz").asString();
            }
        }
        return new Entity.LoginService(route.replaceAll("^/+", ""), loginField.name(), passwordField.name(), role,
                authn.path("default").asBoolean(false));
    }

    private static void checkServices(List<Entity> entities, Map<String, String> entityNames) {
        for (Entity entity : entities) {
            if (entity.login() != null && entity.login().roleEntity() != null
                    && !entityNames.containsKey(entity.login().roleEntity().toLowerCase(Locale.ROOT))) {
                throw new SchemaException("entity " + entity.name() + " services.authn: delegate authz names unknown "
                        + "entity '" + entity.login().roleEntity() + "'");
            }
        }
    }

    private static void deepMerge(ObjectNode target, ObjectNode source) {
        for (Map.Entry<String, JsonNode> entry : source.properties()) {
            JsonNode existing = target.get(entry.getKey());
            if (existing != null && existing.isObject() && entry.getValue().isObject()) {
                deepMerge((ObjectNode) existing, (ObjectNode) entry.getValue());
            } else {
                target.set(entry.getKey(), entry.getValue());
            }
        }
    }
}
