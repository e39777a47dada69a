package events.documents;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import events.db.DocumentStore;
import events.db.StoredDocument;
import events.schema.DocumentValidator;
import events.schema.Entity;
import events.schema.Field;
import events.schema.Schema;
import events.error.ApiError;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Read-time checks of stored documents (api.md 8.3): re-validation against the schema and an
 * {@code {"exists": ...}} sub-object per foreign key, with warnings instead of errors. Existence is
 * looked up with one query per referenced entity for the whole page, never one per document.
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

    /** Renders {@code documents} with their checks; warnings go into {@code notifications}. */
    Mono<ArrayNode> render(Entity entity, List<StoredDocument> documents, Notifications notifications) {
        Map<String, Set<String>> wanted = new LinkedHashMap<>();
        for (StoredDocument document : documents) {
            for (Field key : entity.foreignKeys()) {
                String value = referenced(document, key);
                if (value != null) {
                    wanted.computeIfAbsent(key.foreignKey(), k -> new LinkedHashSet<>()).add(value);
                }
            }
        }
        return Flux.fromIterable(wanted.entrySet())
                .flatMap(entry -> store.findMany(schema.entity(entry.getKey()).orElseThrow(), entry.getValue())
                        .map(found -> entry.getKey() + "\u0000" + found.id()))
                .collect(HashSet<String>::new, Set::add)
                .map(existing -> {
                    ArrayNode views = JsonNodeFactory.instance.arrayNode();
                    for (StoredDocument document : documents) {
                        views.add(check(entity, document, existing, notifications));
                    }
                    return views;
                });
    }

    private ObjectNode check(Entity entity, StoredDocument document, Set<String> existing, Notifications notifications) {
        String id = document.id();
        for (ApiError.Entry problem : validator.validate(entity, document.data(), false).errors()) {
            notifications.warn(id, new Notifications.Warning("validation", "Stored value breaks the schema: "
                    + problem.message(), entity.name(), id, problem.field()));
        }
        Map<String, ObjectNode> expansions = new HashMap<>();
        for (Field key : entity.foreignKeys()) {
            String value = referenced(document, key);
            if (value == null) {
                if (key.required()) {
                    notifications.warn(id, new Notifications.Warning("missing", key.name() + " is empty",
                            entity.name(), id, key.name()));
                }
                continue;
            }
            boolean exists = existing.contains(key.foreignKey() + "\u0000" + value);
            ObjectNode expansion = JsonNodeFactory.instance.objectNode();
            expansion.put("exists", exists);
            expansions.put(key.name(), expansion);
            if (!exists) {
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
