package events.query;

import java.util.Objects;

import events.schema.Field;

/**
 * One parsed {@code filter} condition. {@code value} is already in the field's stored form: a
 * {@code String} (text, lower-cased ids, normalised dates and datetimes), a {@code BigDecimal} or a
 * {@code Boolean}.
 */
public record Condition(Field field, Op op, Object value) {

    /** The comparison, after the per-type rules of api.md 5.3 decided what {@code eq} means. */
    public enum Op {
        /** Equal (strings: exact, after case folding). */
        EQ,
        NE,
        GT,
        GE,
        LT,
        LE,
        /** Plain strings without {@code full_match}: contains the value. */
        CONTAINS,
        /** Array[String]: some element equals the value. */
        HAS_ELEMENT,
        /** Array[String]: no element equals the value. */
        LACKS_ELEMENT
    }

    public Condition {
        Objects.requireNonNull(field, "field must not be null");
        Objects.requireNonNull(op, "op must not be null");
        Objects.requireNonNull(value, "value must not be null");
    }
}
