package events.schema;

import java.util.Arrays;
import java.util.Optional;

/** The field types of api.md 2, with the spelling the schema file uses. */
public enum FieldType {
    STRING("String"),
    INTEGER("Integer"),
    NUMBER("Number"),
    FLOAT("Float"),
    CURRENCY("Currency"),
    BOOLEAN("Boolean"),
    DATE("Date"),
    DATETIME("Datetime"),
    OBJECT_ID("ObjectId"),
    STRING_ARRAY("Array[String]"),
    /** {@code JSON}: a JSON object. */
    JSON_OBJECT("JSON"),
    /** {@code Json}: any JSON value. */
    JSON_ANY("Json");

    private final String schemaName;

    FieldType(String schemaName) {
        this.schemaName = schemaName;
    }

    public String schemaName() {
        return schemaName;
    }

    public boolean numeric() {
        return this == INTEGER || this == NUMBER || this == FLOAT || this == CURRENCY;
    }

    public static Optional<FieldType> fromSchemaName(String name) {
        return Arrays.stream(values()).filter(t -> t.schemaName.equals(name)).findFirst();
    }
}
