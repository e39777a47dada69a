package events.db.postgresql;

import java.util.stream.Collectors;

import events.schema.Entity;
import events.schema.Field;
import events.schema.FieldType;
import events.schema.Schema;

/**
 * The SQL expression each field is compared, matched and sorted by. Shared by the index DDL and the
 * queries, so a query can never drift from the index it needs (PostgreSQL only uses an expression
 * index for the identical expression).
 */
final class FieldExpressions {

    /** SHA-256 of text; see {@link #KEY_HASH_DDL}. */
    static final String KEY_HASH_FUNCTION = "events_key_hash";

    /**
     * {@code convert_to} is only STABLE (it depends on the database encoding, which never changes for a
     * database), and index expressions need IMMUTABLE functions: hence this wrapper.
     */
    static final String KEY_HASH_DDL = "CREATE OR REPLACE FUNCTION " + KEY_HASH_FUNCTION + "(text) RETURNS bytea "
            + "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT sha256(convert_to($1, ''UTF8''))'";

    /** Characters of a string that B-tree indexes hold. */
    static final int INDEXED_PREFIX = 200;

    private final boolean caseSensitive;
    /** {@code 'simple'::regconfig}: a constant, so index and query expressions stay identical and IMMUTABLE. */
    private final String textSearchConfig;

    FieldExpressions(boolean caseSensitive) {
        this(caseSensitive, Schema.DEFAULT_TEXT_SEARCH_CONFIG);
    }

    FieldExpressions(boolean caseSensitive, String textSearchConfig) {
        this.caseSensitive = caseSensitive;
        this.textSearchConfig = Sql.quoteLiteral(textSearchConfig) + "::regconfig";
    }

    boolean caseSensitive() {
        return caseSensitive;
    }

    /**
     * The ordering/equality expression: strings by code point of the (lower-cased) text, numbers
     * numerically, booleans as booleans, dates and ids by their fixed-width text.
     */
    String ordered(Field field) {
        if (field.isId()) {
            return "id";
        }
        String text = Sql.jsonText(field);
        FieldType type = field.type();
        if (type == FieldType.STRING) {
            return caseSensitive ? "(" + text + " COLLATE \"C\")" : "(lower" + text + " COLLATE \"C\")";
        }
        if (type.numeric()) {
            return "(" + text + "::numeric)";
        }
        if (type == FieldType.BOOLEAN) {
            return "(" + text + "::boolean)";
        }
        return "(" + text + " COLLATE \"C\")";
    }

    /**
     * What B-tree indexes hold for a field. For strings, the first {@value #INDEXED_PREFIX} characters
     * only: a B-tree entry must fit in a third of a page (about 2,700 bytes), and a string field may
     * be much longer. Prefixes keep code-point order ({@code a < b} implies
     * {@code left(a, n) <= left(b, n)}), so queries compare and sort by the prefix (using the index) and
     * then by the whole value (exact).
     */
    String indexed(Field field) {
        if (field.type() != FieldType.STRING) {
            return ordered(field);
        }
        String text = Sql.jsonText(field);
        String folded = caseSensitive ? text : "lower" + text;
        return "(left(" + folded + ", " + INDEXED_PREFIX + ") COLLATE \"C\")";
    }

    /** Whether {@link #indexed} differs from {@link #ordered} (queries then add the prefix terms). */
    boolean prefixed(Field field) {
        return field.type() == FieldType.STRING;
    }

    /** The prefix of a bound string value, folded like {@link #indexed}. */
    String indexedValue(String placeholder) {
        return "left(" + foldedValue(placeholder) + ", " + INDEXED_PREFIX + ")";
    }

    /**
     * A unique key's part. Strings are hashed (SHA-256 of the folded text) so any length fits the
     * index; equality of hashes is equality of values, and a missing value stays NULL (no collision).
     */
    String uniquePart(Field field) {
        if (field.type() != FieldType.STRING) {
            return ordered(field);
        }
        return KEY_HASH_FUNCTION + "(" + searchable(field) + ")";
    }

    /** The text that "contains" matching ({@code LIKE}) and its trigram index work on. */
    String searchable(Field field) {
        String text = Sql.jsonText(field);
        return caseSensitive ? text : "lower" + text;
    }

    /** An Array[String] as JSONB, lower-cased unless case-sensitive: containment and its GIN index. */
    String array(Field field) {
        return caseSensitive ? "(data->" + Sql.quoteLiteral(field.name()) + ")"
                : "(lower" + Sql.jsonText(field) + "::jsonb)";
    }

    /** The value side of a string comparison, folded like {@link #ordered} and {@link #searchable}. */
    String foldedValue(String placeholder) {
        return caseSensitive ? placeholder : "lower(" + placeholder + ")";
    }

    /**
     * The entity's full-text document (api.md 11.3): each {@code search: true} field's text as a
     * {@code tsvector}, weighted by its {@code search_weight}, concatenated in schema order. The GIN
     * index holds exactly this expression; a missing field adds nothing.
     */
    String textDocument(Entity entity) {
        return "(" + entity.searchFields().stream()
                .map(field -> "setweight(to_tsvector(" + textSearchConfig + ", COALESCE(" + Sql.jsonText(field)
                        + ", '')), '" + field.searchWeight() + "')")
                .collect(Collectors.joining(" || ")) + ")";
    }

    /** The {@code search} words as a query: websearch syntax ({@code "a phrase"}, {@code or}, {@code -word}). */
    String textQuery(String placeholder) {
        return "websearch_to_tsquery(" + textSearchConfig + ", " + placeholder + ")";
    }

    /** Relevance of a document to a text query: {@code ts_rank}, a {@code real}. */
    String rank(Entity entity, String textQuery) {
        return "ts_rank(" + textDocument(entity) + ", " + textQuery + ")";
    }
}
