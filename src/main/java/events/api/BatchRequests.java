package events.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

import events.documents.BatchOperation;
import events.documents.EntityTags;
import events.error.ApiError;
import events.error.ApiException;
import events.schema.Entity;
import events.schema.Schema;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Parses the body of {@code POST /api/_batch} (api.md 14) into {@link BatchOperation}s, once, before
 * anything runs: {@code {"operations": [...]}} with 1-{@value #MAX_OPERATIONS} operations, each with a
 * known method and entity (the schema's {@code operations} allowing it), an {@code id} where the method
 * needs one, a body object where it needs one, a well-formed {@code ifMatch}, a unique {@code ref}, and
 * references ({@code "$acct.id"}) only to the refs of earlier operations. Each mistake is a 400 (405 for
 * an operation the schema excludes) under the operation's position {@code "[i]"}.
 */
final class BatchRequests {

    static final int MAX_OPERATIONS = 100;
    private static final Set<String> MEMBERS = Set.of("method", "entity", "id", "body", "ref", "ifMatch");

    private final Schema schema;

    BatchRequests(Schema schema) {
        this.schema = schema;
    }

    List<BatchOperation> parse(ObjectNode body) {
        JsonNode operations = body.get("operations");
        if (operations == null || !operations.isArray()) {
            throw new ApiException(new ApiError.BadRequest("The body must be {\"operations\": [...]}", "operations"));
        }
        if (operations.isEmpty()) {
            throw new ApiException(new ApiError.BadRequest("operations is empty", "operations"));
        }
        if (operations.size() > MAX_OPERATIONS) {
            throw new ApiException(new ApiError.BadRequest("At most " + MAX_OPERATIONS + " operations per batch, not "
                    + operations.size(), "operations"));
        }
        List<BatchOperation> parsed = new ArrayList<>(operations.size());
        Set<String> refs = new HashSet<>();
        for (int i = 0; i < operations.size(); i++) {
            BatchOperation operation = operation(operations.get(i), i, refs);
            if (operation.ref() != null) {
                refs.add(operation.ref());
            }
            parsed.add(operation);
        }
        return List.copyOf(parsed);
    }

    private BatchOperation operation(JsonNode node, int index, Set<String> refs) {
        if (!node.isObject()) {
            throw bad(index, "The operation must be a JSON object", null);
        }
        for (String member : node.propertyNames()) {
            if (!MEMBERS.contains(member)) {
                throw bad(index, "Unknown member '" + shorten(member) + "'; use method, entity, id, body, ref, ifMatch",
                        member);
            }
        }
        JsonNode methodNode = node.get("method");
        if (methodNode == null || !methodNode.isString()) {
            throw bad(index, "method must be POST, PUT, PATCH or DELETE", "method");
        }
        BatchOperation.Method method;
        try {
            method = BatchOperation.Method.valueOf(methodNode.asString().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad(index, "Unknown method '" + shorten(methodNode.asString()) + "'; use POST, PUT, PATCH or DELETE",
                    "method");
        }
        JsonNode entityNode = node.get("entity");
        if (entityNode == null || !entityNode.isString()) {
            throw bad(index, "entity must be the name of an entity", "entity");
        }
        Entity entity = schema.entity(entityNode.asString()).orElseThrow(() -> bad(index,
                "Unknown entity '" + shorten(entityNode.asString()) + "'", "entity"));
        if (!entity.allows(method.operation())) {
            throw new ApiException(new ApiError.Keyed(position(index), new ApiError.MethodNotAllowed(
                    "The schema does not allow " + method + " on " + entity.name(), List.of())));
        }
        JsonNode id = node.get("id");
        if (method != BatchOperation.Method.POST) {
            if (id == null || !id.isString() || id.asString().isEmpty()) {
                throw bad(index, method + " needs the id of the document", "id");
            }
        } else {
            id = null; // a created document's id is in its body
        }
        JsonNode body = node.get("body");
        if (method != BatchOperation.Method.DELETE) {
            if (body == null || !body.isObject()) {
                throw bad(index, method + " needs a body that is a JSON object", "body");
            }
        } else {
            body = null;
        }
        JsonNode refNode = node.get("ref");
        String ref = null;
        if (refNode != null && !refNode.isNull()) {
            if (!refNode.isString() || !BatchOperation.REF_NAME.matcher(refNode.asString()).matches()) {
                throw bad(index, "ref must be a letter or _ then letters, digits, _ or -", "ref");
            }
            ref = refNode.asString();
            if (refs.contains(ref)) {
                throw bad(index, "ref '" + ref + "' is already the ref of an earlier operation", "ref");
            }
        }
        JsonNode ifMatchNode = node.get("ifMatch");
        EntityTags ifMatch = null;
        if (ifMatchNode != null && !ifMatchNode.isNull()) {
            if (!ifMatchNode.isString()) {
                throw bad(index, "ifMatch must be a string such as \"\\\"17\\\"\" or \"*\"", "ifMatch");
            }
            try {
                ifMatch = EntityTagHeaders.parse(ifMatchNode.asString(), "ifMatch");
            } catch (ApiException e) {
                throw new ApiException(new ApiError.Keyed(position(index), e.error()));
            }
        }
        checkReferences(id, refs, index, "id");
        checkReferences(body, refs, index, "body");
        return new BatchOperation(method, entity, id, (ObjectNode) body, ref, ifMatch);
    }

    /** Every {@code "$ref.field"} string must name the ref of an earlier operation. */
    private static void checkReferences(JsonNode node, Set<String> refs, int index, String where) {
        if (node == null) {
            return;
        }
        if (node.isString()) {
            Matcher reference = BatchOperation.REFERENCE.matcher(node.asString());
            if (reference.matches() && !refs.contains(reference.group(1))) {
                throw bad(index, "Unknown ref '" + shorten(reference.group(1)) + "' in " + where
                        + " (refs name earlier operations)", where);
            }
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> member : node.properties()) {
                checkReferences(member.getValue(), refs, index, where);
            }
        } else if (node.isArray()) {
            for (JsonNode element : node.values()) {
                checkReferences(element, refs, index, where);
            }
        }
    }

    private static ApiException bad(int index, String message, String field) {
        return new ApiException(new ApiError.Keyed(position(index), new ApiError.BadRequest(message, field)));
    }

    private static String position(int index) {
        return "[" + index + "]";
    }

    private static String shorten(String text) {
        return text.length() > 30 ? text.substring(0, 30) + "..." : text;
    }
}
