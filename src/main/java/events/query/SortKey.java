package events.query;

import java.util.Objects;

import events.schema.Field;

/** One key of a parsed {@code sort}: a schema field (or {@code id}) and its direction. */
public record SortKey(Field field, boolean descending) {
    public SortKey {
        Objects.requireNonNull(field, "field must not be null");
    }
}
