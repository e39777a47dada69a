package events.schema;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * An entity of the schema: its fields in schema order, unique keys and allowed operations.
 *
 * @param operations letters of the allowed operations, a subset of {@code crud}
 * @param login      the login service when this entity is a login principal
 */
public record Entity(String name, List<Field> fields, List<UniqueKey> uniques, String operations,
                     @Nullable LoginService login) {

    public Entity {
        Objects.requireNonNull(name, "name must not be null");
        fields = List.copyOf(fields);
        uniques = List.copyOf(uniques);
        Objects.requireNonNull(operations, "operations must not be null");
    }

    /** Finds a field by name, case-insensitively; {@code id} included. */
    public Optional<Field> field(String fieldName) {
        if ("id".equalsIgnoreCase(fieldName)) {
            return Optional.of(Field.ID);
        }
        String lower = fieldName.toLowerCase(Locale.ROOT);
        return fields.stream().filter(f -> f.name().toLowerCase(Locale.ROOT).equals(lower)).findFirst();
    }

    public boolean allows(char operation) {
        return operations.indexOf(operation) >= 0;
    }

    public List<Field> foreignKeys() {
        return fields.stream().filter(f -> f.foreignKey() != null).toList();
    }

    /** A login principal's role key: its foreign key to the role entity its login service delegates to. */
    public Optional<Field> roleKey() {
        if (login == null || login.roleEntity() == null) {
            return Optional.empty();
        }
        String role = login.roleEntity();
        return foreignKeys().stream().filter(f -> f.foreignKey().equalsIgnoreCase(role)).findFirst();
    }

    /** The {@code search: true} fields, in schema order: the entity's full-text document (api.md 11.3). */
    public List<Field> searchFields() {
        return fields.stream().filter(Field::searchable).toList();
    }


    /** One (possibly compound) unique key, fields in the schema's order for the key. */
    public record UniqueKey(List<Field> fields) {
        public UniqueKey {
            fields = List.copyOf(fields);
        }

        public Field first() {
            return fields.get(0);
        }
    }

    /** The {@code services.authn} of a login principal. */
    public record LoginService(String route, String loginField, String passwordField, @Nullable String roleEntity,
                               boolean isDefault) {
    }
}
