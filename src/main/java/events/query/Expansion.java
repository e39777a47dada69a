package events.query;

import java.util.List;
import java.util.Objects;

import events.schema.Entity;
import events.schema.Field;

/** One {@code view} entry: a referenced entity and the fields of it to show ({@code id} allowed). */
public record Expansion(Entity target, List<Field> fields) {
    public Expansion {
        Objects.requireNonNull(target, "target must not be null");
        fields = List.copyOf(fields);
    }
}
