package events.db.postgresql;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import events.schema.Entity;
import events.schema.Schema;

/** The indexes the schema needs, computed once at start-up, and the way back from a name to its key. */
final class PostgreSQLIndexes {

    private final Map<String, List<IndexSpec>> byEntity = new HashMap<>();
    private final Map<String, Entity.UniqueKey> uniqueKeyByIndexName = new HashMap<>();

    PostgreSQLIndexes(Schema schema, FieldExpressions expressions) {
        for (Entity entity : schema.entities()) {
            List<IndexSpec> specs = new ArrayList<>();
            for (Entity.UniqueKey key : entity.uniques()) {
                String label = key.fields().stream().map(f -> f.name()).collect(Collectors.joining("_")) + "_key";
                String columns = key.fields().stream().map(expressions::ordered).collect(Collectors.joining(", "));
                IndexSpec spec = IndexSpec.of(entity.name(), label, true, "btree", columns);
                specs.add(spec);
                uniqueKeyByIndexName.put(spec.name(), key);
            }
            byEntity.put(entity.name(), List.copyOf(specs));
        }
    }

    List<IndexSpec> of(Entity entity) {
        return byEntity.getOrDefault(entity.name(), List.of());
    }

    /** The unique key enforced by the index of that name (from a 23505 error's constraint name). */
    Optional<Entity.UniqueKey> uniqueKey(String indexName) {
        return Optional.ofNullable(uniqueKeyByIndexName.get(indexName));
    }
}
