package events.db;

import java.util.Objects;

import tools.jackson.databind.node.ObjectNode;

/**
 * A row as stored: the lower-case id, the JSONB {@code data} (the document without {@code id}) and its
 * version (api.md 13), or {@link #UNVERSIONED} where the read did not ask for it (list pages).
 */
public record StoredDocument(String id, ObjectNode data, long version) {

    /** The version of a document read without its version. */
    public static final long UNVERSIONED = 0;

    public StoredDocument {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(data, "data must not be null");
    }

    /** A document read without its version (list pages, streams). */
    public StoredDocument(String id, ObjectNode data) {
        this(id, data, UNVERSIONED);
    }
}
