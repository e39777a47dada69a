package events.db.postgresql;

import events.schema.Field;
import events.schema.FieldType;

/**
 * The SQL expression each field is compared and sorted by. Shared by the index DDL and the queries, so
 * a query can never drift from the index it needs (PostgreSQL only uses an expression index for the
 * identical expression).
 */
final class FieldExpressions {

    private final boolean caseSensitive;

    FieldExpressions(boolean caseSensitive) {
        this.caseSensitive = caseSensitive;
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
}
