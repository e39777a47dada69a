package events.db.postgresql;

import java.util.List;

import events.query.Condition;
import events.query.SortKey;
import events.schema.Field;
import events.schema.FieldType;

/**
 * {@code WHERE} and {@code ORDER BY} for the query language, built from typed conditions and sort keys
 * with the same expressions as the indexes ({@link FieldExpressions}). Values are always bound.
 */
final class PostgreSQLQueries {

    private final FieldExpressions expressions;

    PostgreSQLQueries(FieldExpressions expressions) {
        this.expressions = expressions;
    }

    /** Appends {@code  WHERE a AND b ...}, or nothing without conditions. */
    void where(Sql sql, List<Condition> conditions) {
        for (int i = 0; i < conditions.size(); i++) {
            sql.append(i == 0 ? " WHERE " : " AND ");
            condition(sql, conditions.get(i));
        }
    }

    /** Appends the ordering: the keys with missing values last, then {@code id} as the tie-breaker. */
    void orderBy(Sql sql, List<SortKey> keys) {
        sql.append(" ORDER BY ");
        boolean idSeen = false;
        for (SortKey key : keys) {
            String direction = key.descending() ? " DESC" : " ASC";
            if (expressions.prefixed(key.field())) {
                // The indexed prefix first (the index walks it), the whole value to settle ties exactly.
                sql.append(expressions.indexed(key.field())).append(direction).append(" NULLS LAST, ");
            }
            sql.append(expressions.ordered(key.field())).append(direction);
            if (key.field().isId()) {
                idSeen = true;
                sql.append(", ");
                break; // id is unique: later keys cannot change the order
            }
            sql.append(" NULLS LAST, ");
        }
        if (idSeen) {
            sql.trimEnd(2);
        } else {
            sql.append("id ASC");
        }
    }

    private void condition(Sql sql, Condition condition) {
        Field field = condition.field();
        Object value = condition.value();
        switch (condition.op()) {
            case CONTAINS -> sql.append(expressions.searchable(field)).append(" LIKE ")
                    .append(expressions.foldedValue(sql.placeholder("%" + escapeLike((String) value) + "%")))
                    .append(" ESCAPE '\\'");
            case HAS_ELEMENT -> sql.append(expressions.array(field)).append(" @> jsonb_build_array(")
                    .append(expressions.foldedValue(sql.placeholder(value) + "::text")).append(")");
            case LACKS_ELEMENT -> sql.append("(data->").append(Sql.quoteLiteral(field.name()))
                    .append(") IS NOT NULL AND NOT ").append(expressions.array(field))
                    .append(" @> jsonb_build_array(")
                    .append(expressions.foldedValue(sql.placeholder(value) + "::text")).append(")");
            default -> {
                String placeholder = sql.placeholder(value);
                String prefixOperator = prefixOperator(condition.op());
                if (expressions.prefixed(field) && prefixOperator != null) {
                    // Implied by the exact comparison, and what the prefix index can answer.
                    sql.append(expressions.indexed(field)).append(prefixOperator)
                            .append(expressions.indexedValue(placeholder)).append(" AND ");
                }
                sql.append(expressions.ordered(field)).append(operator(condition.op()))
                        .append(valueExpression(field, placeholder));
            }
        }
    }

    private String valueExpression(Field field, String placeholder) {
        if (field.type() == FieldType.STRING) {
            return expressions.foldedValue(placeholder);
        }
        if (field.type().numeric()) {
            return placeholder + "::numeric";
        }
        return placeholder;
    }

    /** The comparison a value's prefix must pass; null where prefixes imply nothing ({@code ne}). */
    private static String prefixOperator(Condition.Op op) {
        return switch (op) {
            case EQ -> " = ";
            case GT, GE -> " >= ";
            case LT, LE -> " <= ";
            default -> null;
        };
    }

    private static String operator(Condition.Op op) {
        return switch (op) {
            case EQ -> " = ";
            case NE -> " <> ";
            case GT -> " > ";
            case GE -> " >= ";
            case LT -> " < ";
            case LE -> " <= ";
            default -> throw new IllegalArgumentException("not a comparison: " + op);
        };
    }

    /** {@code %}, {@code _} and {@code \} are literal characters in a filter value (api.md 5.3). */
    static String escapeLike(String value) {
        return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
