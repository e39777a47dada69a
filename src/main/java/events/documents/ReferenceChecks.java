package events.documents;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import events.db.DocumentStore;
import events.db.StoredDocument;
import events.error.ApiError;
import events.query.Expansion;
import events.schema.DocumentValidator;
import events.schema.Entity;
import events.schema.Field;
import events.schema.Schema;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Foreign-key sub-objects and read-time checks for a batch of documents: {@code view} expansions
 * (api.md 5.4) and the {@code validation} modes (8.3). Referenced documents are fetched with one query
 * per referenced entity for the whole batch, never one per document; problems become warnings.
 */
final class ReferenceChecks {

    private final Schema schema;
    private final DocumentStore store;
    private final DocumentValidator validator;

    ReferenceChecks(Schema schema, DocumentStore store, DocumentValidator validator) {
        this.schema = schema;
        this.store = store;
        this.validator = validator;
    }

    /**
     * Renders {@code documents} with sub-objects for the foreign keys the view names (with their
     * fields) and, when {@code recheck}, for every foreign key (with {@code exists} only) plus
     * re-validation. Warnings go into {@code notifications}.
     */
    Mono<ArrayNode> render(Entity entity, List<StoredDocument> documents, List<Expansion> view, boolean recheck,
                           Notifications notifications) {
        Map<String, Expansion> viewByTarget = new HashMap<>();
        view.forEach(expansion -> viewByTarget.put(expansion.target().name(), expansion));
        List<Field> keys = entity.foreignKeys().stream()
                .filter(key -> recheck || viewByTarget.containsKey(key.foreignKey()))
                .toList();
        Map<String, Set<String>> wanted = new LinkedHashMap<>();
        for (StoredDocument document : documents) {
            for (Field key : keys) {
                String value = referenced(document, key);
                if (value != null) {
                    wanted.computeIfAbsent(key.foreignKey(), k -> new LinkedHashSet<>()).add(value);
                }
            }
        }
        return Flux.fromIterable(wanted.entrySet())
                .flatMap(entry -> store.findMany(schema.entity(entry.getKey()).orElseThrow(), entry.getValue())
                        .map(found -> Map.entry(entry.getKey() + "\u0000" + found.id(), found)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .map(found -> {
                    ArrayNode views = JsonNodeFactory.instance.arrayNode();
                    for (StoredDocument document : documents) {
                        views.add(render(entity, document, keys, viewByTarget, recheck, found, notifications));
                    }
                    return views;
                });
    }

    private ObjectNode render(Entity entity, StoredDocument document, List<Field> keys,
                              Map<String, Expansion> viewByTarget, boolean recheck,
                              Map<String, StoredDocument> found, Notifications notifications) {
        String id = document.id();
        if (recheck) {
            for (ApiError.Entry problem : validator.validate(entity, document.data(), false).errors()) {
                notifications.warn(id, new Notifications.Warning("validation", "Stored value breaks the schema: "
                        + problem.message(), entity.name(), id, problem.field()));
            }
        }
        Map<String, ObjectNode> expansions = new HashMap<>();
        for (Field key : keys) {
            String value = referenced(document, key);
            if (value == null) {
                if (recheck && key.required()) {
                    notifications.warn(id, new Notifications.Warning("missing", key.name() + " is empty",
                            entity.name(), id, key.name()));
                }
                continue;
            }
            StoredDocument target = found.get(key.foreignKey() + "\u0000" + value);
            ObjectNode expansion = JsonNodeFactory.instance.objectNode();
            expansion.put("exists", target != null);
            Expansion requested = viewByTarget.get(key.foreignKey());
            if (target != null && requested != null) {
                for (Field field : requested.fields()) {
                    JsonNode shown = field.isId() ? JsonNodeFactory.instance.stringNode(target.id())
                            : target.data().get(field.name());
                    if (shown != null && !shown.isNull() && !field.secret()) {
                        expansion.set(field.name(), shown);
                    }
                }
            }
            expansions.put(key.name(), expansion);
            if (target == null) {
                String shown = value.length() > 60 ? value.substring(0, 60) + "..." : value;
                notifications.warn(id, new Notifications.Warning("not_found", key.foreignKey() + " " + shown
                        + " does not exist", entity.name(), id, key.name()));
            }
        }
        return DocumentView.render(entity, document, expansions);
    }

    private static String referenced(StoredDocument document, Field key) {
        JsonNode value = document.data().get(key.name());
        return value != null && value.isString() && !value.asString().isEmpty() ? value.asString() : null;
    }
}
