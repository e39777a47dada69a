package events.db.postgresql;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import events.schema.Entity;
import events.schema.Field;
import events.schema.FieldType;
import events.schema.Schema;

/**
 * The indexes the schema needs, computed once at start-up, and the way back from a name to its key:
 * <ul>
 * <li>each unique key: a unique index on its fields (strings as SHA-256 of the folded text, so any
 *     length fits);</li>
 * <li>each filterable, sortable field: B-trees on {@code (expression, id)} ascending and
 *     {@code (expression DESC NULLS LAST, id)} (strings by their first 200 characters), so both sort directions (missing values last) and every
 *     equality and range filter walk an index;</li>
 * <li>each plain string: a trigram GIN index for "contains", when {@code pg_trgm} is available;</li>
 * <li>each Array[String]: a GIN index for element containment;</li>
 * <li>each entity with {@code search: true} fields: a GIN index on its weighted {@code tsvector}
 *     ({@link FieldExpressions#textDocument}), for {@code search=}.</li>
 * </ul>
 */
final class PostgreSQLIndexes {

    private final Map<String, List<IndexSpec>> byEntity = new HashMap<>();
    private final Map<String, List<IndexSpec>> trigramByEntity = new HashMap<>();
    private final Map<String, Entity.UniqueKey> uniqueKeyByIndexName = new HashMap<>();

    PostgreSQLIndexes(Schema schema, FieldExpressions expressions) {
        for (Entity entity : schema.entities()) {
            List<IndexSpec> specs = new ArrayList<>();
            List<IndexSpec> trigram = new ArrayList<>();
            for (Entity.UniqueKey key : entity.uniques()) {
                String label = key.fields().stream().map(Field::name).collect(Collectors.joining("_")) + "_key";
                String columns = key.fields().stream().map(expressions::uniquePart).collect(Collectors.joining(", "));
                IndexSpec spec = IndexSpec.of(entity.name(), label, true, "btree", columns);
                specs.add(spec);
                uniqueKeyByIndexName.put(spec.name(), key);
            }
            for (Field field : entity.fields()) {
                if (field.secret()) {
                    continue; // never filtered or sorted on
                }
                FieldType type = field.type();
                if (type == FieldType.STRING_ARRAY) {
                    specs.add(IndexSpec.of(entity.name(), field.name() + "_elements", false, "gin",
                            expressions.array(field) + " jsonb_path_ops"));
                    continue;
                }
                if (type == FieldType.JSON_OBJECT || type == FieldType.JSON_ANY) {
                    continue;
                }
                String indexed = expressions.indexed(field);
                specs.add(IndexSpec.of(entity.name(), field.name() + "_asc", false, "btree", indexed + ", id"));
                specs.add(IndexSpec.of(entity.name(), field.name() + "_desc", false, "btree",
                        indexed + " DESC NULLS LAST, id"));
                if (field.plainString()) {
                    trigram.add(IndexSpec.of(entity.name(), field.name() + "_trgm", false, "gin",
                            "(" + expressions.searchable(field) + ") gin_trgm_ops"));
                }
            }
            if (!entity.searchFields().isEmpty()) {
                // The name's hash covers config, fields and weights: a changed definition replaces the index.
                specs.add(IndexSpec.of(entity.name(), "search", false, "gin", expressions.textDocument(entity)));
            }
            byEntity.put(entity.name(), List.copyOf(specs));
            trigramByEntity.put(entity.name(), List.copyOf(trigram));
        }
    }

    /** The indexes of {@code entity}; trigram ones only when {@code pg_trgm} is installed. */
    List<IndexSpec> of(Entity entity, boolean trigramAvailable) {
        List<IndexSpec> all = new ArrayList<>(byEntity.getOrDefault(entity.name(), List.of()));
        if (trigramAvailable) {
            all.addAll(trigramByEntity.getOrDefault(entity.name(), List.of()));
        }
        return all;
    }

    /** The unique key enforced by the index of that name (from a 23505 error's constraint name). */
    Optional<Entity.UniqueKey> uniqueKey(String indexName) {
        return Optional.ofNullable(uniqueKeyByIndexName.get(indexName));
    }
}
