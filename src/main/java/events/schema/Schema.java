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

    private final String project;
    private final List<Entity> entities;
    private final Map<String, Entity> byLowerName;
    private final ObjectNode metadata;

    public Schema(String project, List<Entity> entities, ObjectNode metadata) {
        this.project = Objects.requireNonNull(project, "project must not be null");
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
