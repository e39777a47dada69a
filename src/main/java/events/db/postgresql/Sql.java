package events.db.postgresql;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import events.schema.Entity;
import events.schema.Field;

/**
 * SQL text with its bound values. The only escaping functions of the code base live here:
 * {@link #quoteIdent} for table names and {@link #quoteLiteral} for JSON keys. Values never enter the
 * text; {@link #bind} appends {@code $n} and records the value.
 */
final class Sql {

    /** The text being built; null while it is still the fixed text of {@link #of}. */
    private @Nullable StringBuilder builder = new StringBuilder();
    /**
     * The text as one String, kept until the next change. The driver keys its statement cache on it, so
     * a text made once at start-up stays the very same String (its hash computed once) on every request.
     */
    private @Nullable String text;
    private final List<Object> values = new ArrayList<>();
    /** The kind the metrics count it as, when its text would mislead {@link DatabaseMetrics.Kind#of}. */
    private DatabaseMetrics.@Nullable Kind kind;

    Sql append(String sql) {
        edit().append(sql);
        return this;
    }

    private StringBuilder edit() {
        if (builder == null) {
            builder = new StringBuilder(Objects.requireNonNull(text));
        }
        text = null;
        return builder;
    }

    /** Puts {@code sql} before the text (placeholders keep their numbers). */
    Sql prepend(String sql) {
        edit().insert(0, sql);
        return this;
    }

    /**
     * Text made once (at start-up) whose placeholders {@code $1..$n} take {@code values} in order, counted
     * by the metrics as {@code kind}.
     */
    static Sql of(DatabaseMetrics.Kind kind, String text, Object... values) {
        Sql sql = new Sql();
        sql.builder = null;
        sql.text = text;
        sql.kind = kind;
        for (Object value : values) {
            sql.values.add(Objects.requireNonNull(value, "value must not be null"));
        }
        return sql;
    }

    /** Appends the next {@code $n} placeholder for {@code value}. */
    Sql bind(Object value) {
        Objects.requireNonNull(value, "value must not be null (bind SQL NULL explicitly)");
        values.add(value);
        edit().append('$').append(values.size());
        return this;
    }

    /** Records {@code value} and returns its {@code $n} without appending it, for wrapping expressions. */
    String placeholder(Object value) {
        Objects.requireNonNull(value, "value must not be null");
        values.add(value);
        return "$" + values.size();
    }

    /** The same bound values with other text (placeholders already recorded by {@link #placeholder}). */
    Sql replaceText(String newText) {
        builder = null;
        text = newText;
        return this;
    }

    /** Removes the last {@code count} characters of the text. */
    Sql trimEnd(int count) {
        StringBuilder b = edit();
        b.setLength(b.length() - count);
        return this;
    }

    Sql table(Entity entity) {
        edit().append(table(entity.name()));
        return this;
    }

    /** The statement's kind for the metrics: as given, else read from the text. */
    DatabaseMetrics.Kind kind() {
        return kind != null ? kind : DatabaseMetrics.Kind.of(text());
    }

    String text() {
        if (text == null) {
            text = Objects.requireNonNull(builder).toString();
        }
        return text;
    }

    List<Object> values() {
        return List.copyOf(values);
    }

    @Override
    public String toString() {
        return text();
    }

    static String table(String entityName) {
        return quoteIdent(entityName);
    }

    /** {@code data->>'name'}: the field's stored text. */
    static String jsonText(Field field) {
        return "(data->>" + quoteLiteral(field.name()) + ")";
    }

    /** Double-quoted identifier, inner quotes doubled. */
    static String quoteIdent(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier must not contain NUL");
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** Single-quoted literal with {@code standard_conforming_strings} (the default since 9.1). */
    static String quoteLiteral(String literal) {
        if (literal.indexOf('\0') >= 0 || literal.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("literal must not contain NUL or backslash");
        }
        return '\'' + literal.replace("'", "''") + '\'';
    }
}
