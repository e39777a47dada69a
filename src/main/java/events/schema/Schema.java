package events.schema;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import tools.jackson.databind.node.ObjectNode;

/**
 * The loaded, checked schema: entities in schema order and the metadata document served at
 * {@code /api/metadata}, both built once at start-up.
 */
public final class Schema {

    /** The text search configuration when the schema names none (api.md 11.3). */
    public static final String DEFAULT_TEXT_SEARCH_CONFIG = "simple";

    private final String project;
    private final String textSearchConfig;
    private final List<Entity> entities;
    private final Map<String, Entity> byLowerName;
    private final ObjectNode metadata;

    public Schema(String project, List<Entity> entities, ObjectNode metadata) {
        this(project, entities, metadata, DEFAULT_TEXT_SEARCH_CONFIG);
    }

    public Schema(String project, List<Entity> entities, ObjectNode metadata, String textSearchConfig) {
        this.project = Objects.requireNonNull(project, "project must not be null");
        this.textSearchConfig = Objects.requireNonNull(textSearchConfig, "textSearchConfig must not be null");
        this.entities = List.copyOf(entities);
        this.metadata = Objects.requireNonNull(metadata, "metadata must not be null");
        Map<String, Entity> map = new LinkedHashMap<>();
        for (Entity entity : entities) {
            map.put(entity.name().toLowerCase(Locale.ROOT), entity);
        }
        this.byLowerName = Map.copyOf(map);
    }

    public String project() {
        return project;
    }

    /** The PostgreSQL text search configuration of every full-text document ({@code text_search_config}). */
    public String textSearchConfig() {
        return textSearchConfig;
    }

    public List<Entity> entities() {
        return entities;
    }

    /** Finds an entity by name, case-insensitively (api.md 3.1). */
    public Optional<Entity> entity(String name) {
        return Optional.ofNullable(byLowerName.get(name.toLowerCase(Locale.ROOT)));
    }

    /** The metadata without {@code projectName}/{@code database}; callers must not modify it. */
    public ObjectNode metadata() {
        return metadata;
    }
}
