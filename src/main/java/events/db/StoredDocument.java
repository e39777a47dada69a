package events.db;

import java.util.Objects;

import tools.jackson.databind.node.ObjectNode;

/** A row as stored: the lower-case id and the JSONB {@code data} (the document without {@code id}). */
public record StoredDocument(String id, ObjectNode data) {
    public StoredDocument {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(data, "data must not be null");
    }
}
