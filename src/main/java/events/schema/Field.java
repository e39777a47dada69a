package events.schema;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;

/**
 * One field of an entity, with its constraints resolved at start-up (dictionary patterns compiled,
 * foreign-key target found).
 *
 * @param foreignKey the target entity name when this is a {@code <name>Id} foreign key
 * @param secret     never returned by any endpoint (login password, {@code encrypt}, {@code ui.display: secret})
 * @param hashed     stored only as a slow salted hash (login password, {@code encrypt: true})
 * @param searchWeight the full-text weight {@code A}–{@code D} of a {@code search: true} String field
 *                   (api.md 11.3), null when the field is not searchable
 */
public record Field(
        String name,
        FieldType type,
        boolean required,
        @Nullable Integer minLength,
        @Nullable Integer maxLength,
        @Nullable Pattern pattern,
        @Nullable String patternMessage,
        List<String> enumValues,
        @Nullable String enumMessage,
        @Nullable BigDecimal ge,
        @Nullable BigDecimal le,
        @Nullable BigDecimal gt,
        @Nullable BigDecimal lt,
        @Nullable JsonNode defaultValue,
        boolean autoGenerate,
        boolean autoUpdate,
        boolean secret,
        boolean hashed,
        @Nullable String foreignKey,
        @Nullable Character searchWeight) {

    /** The implicit {@code id} every entity has. */
    public static final Field ID = new Field("id", FieldType.OBJECT_ID, true, null, null, null, null, List.of(),
            null, null, null, null, null, null, false, false, false, false, null, null);

    public Field {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(type, "type must not be null");
        enumValues = List.copyOf(enumValues);
    }

    /** Part of the entity's full-text document ({@code search: true}). */
    public boolean searchable() {
        return searchWeight != null;
    }

    public boolean isId() {
        return this == ID;
    }

    public boolean hasEnum() {
        return !enumValues.isEmpty();
    }

    /** A plain string: matched by "contains" and compared case-insensitively unless configured otherwise. */
    public boolean plainString() {
        return type == FieldType.STRING && !hasEnum();
    }

    Field asSecret(boolean hashedToo) {
        return new Field(name, type, required, minLength, maxLength, pattern, patternMessage, enumValues, enumMessage,
                ge, le, gt, lt, defaultValue, autoGenerate, autoUpdate, true, hashed || hashedToo, foreignKey,
                searchWeight);
    }
}
