package events.db;

import java.util.Objects;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.node.ObjectNode;

/**
 * A row as stored: the lower-case id, the JSONB {@code data} (the document without {@code id}) and its
 * version (api.md 13), or {@link #UNVERSIONED} where the read did not ask for it (list pages).
 *
 * <p>A document read from the database keeps PostgreSQL's text of {@code data} and parses it into a tree
 * only when asked: most reads only render it (see {@code DocumentTexts}), and parsing every row into a tree
 * was most of a list's or an export's CPU (issue 9).
 */
public final class StoredDocument {

    /** The version of a document read without its version. */
    public static final long UNVERSIONED = 0;

    private final String id;
    private final long version;
    private byte @Nullable [] text;
    private @Nullable Function<byte[], ObjectNode> parser;
    private @Nullable ObjectNode data;

    public StoredDocument(String id, ObjectNode data, long version) {
        this.id = Objects.requireNonNull(id, "id must not be null");
        this.data = Objects.requireNonNull(data, "data must not be null");
        this.version = version;
    }

    /** A document read without its version (list pages, streams). */
    public StoredDocument(String id, ObjectNode data) {
        this(id, data, UNVERSIONED);
    }

    private StoredDocument(String id, byte[] text, Function<byte[], ObjectNode> parser, long version) {
        this.id = Objects.requireNonNull(id, "id must not be null");
        this.text = Objects.requireNonNull(text, "text must not be null");
        this.parser = Objects.requireNonNull(parser, "parser must not be null");
        this.version = version;
    }

    /** A document as read: {@code text} is the JSON text of {@code data}, parsed by {@code parser} on first use. */
    public static StoredDocument read(String id, byte[] text, Function<byte[], ObjectNode> parser, long version) {
        return new StoredDocument(id, text, parser, version);
    }

    /** The same document with {@code version}. */
    public StoredDocument withVersion(long version) {
        return text != null ? new StoredDocument(id, text, parser, version) : new StoredDocument(id, data(), version);
    }

    public String id() {
        return id;
    }

    public long version() {
        return version;
    }

    /**
     * The document's fields as a tree (parsed now if it was read as text). Callers may change the tree, so
     * from here on {@link #unparsedText()} is null.
     */
    public synchronized ObjectNode data() {
        if (data == null) {
            data = parser.apply(text);
            text = null;
            parser = null;
        }
        return data;
    }

    /** The JSON text of {@code data} as read, or null once {@link #data()} has been asked for (or never read). */
    public synchronized byte @Nullable [] unparsedText() {
        return text;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StoredDocument document && id.equals(document.id) && version == document.version
                && data().equals(document.data());
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, version);
    }

    @Override
    public String toString() {
        return "StoredDocument[id=" + id + ", version=" + version + "]";
    }
}
