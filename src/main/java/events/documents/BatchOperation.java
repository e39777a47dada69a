package events.documents;

import java.util.Objects;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import events.schema.Entity;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One operation of an atomic batch (api.md 14), parsed and resolved against the schema. {@code id} and
 * {@code body} may still hold references ({@code "$acct.id"}) to earlier operations' results; the parser
 * has checked that each names the {@code ref} of an earlier operation.
 *
 * @param id   the target id (PUT, PATCH, DELETE), a JSON string; null for POST
 * @param body the document or merge patch (POST, PUT, PATCH); null for DELETE
 * @param ref  the name later operations use for this one's result; null when none
 */
public record BatchOperation(Method method, Entity entity, @Nullable JsonNode id, @Nullable ObjectNode body,
                             @Nullable String ref, @Nullable EntityTags ifMatch) {

    /**
     * A reference to an earlier result: a JSON string that is exactly {@code $<ref>.<field>}, the ref
     * starting with a letter or {@code _} (so {@code "$5.00"} is an ordinary string).
     */
    public static final Pattern REFERENCE = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_-]*)\\.([A-Za-z_][A-Za-z0-9_]*)");

    /** What a {@code ref} may be called. */
    public static final Pattern REF_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,63}");

    /** The methods a batch may use, with the permission letter each needs. */
    public enum Method {
        POST('c'), PUT('u'), PATCH('u'), DELETE('d');

        private final char operation;

        Method(char operation) {
            this.operation = operation;
        }

        /** The permission letter and {@code operations} letter (api.md 9.2). */
        public char operation() {
            return operation;
        }
    }

    public BatchOperation {
        Objects.requireNonNull(method, "method must not be null");
        Objects.requireNonNull(entity, "entity must not be null");
    }
}
