package events.db.postgresql;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import events.query.Condition;
import events.query.ListQuery;
import events.query.SortKey;
import events.schema.Entity;
import events.schema.Field;
import events.schema.FieldType;

/**
 * {@code WHERE} and {@code ORDER BY} for the query language, built from typed conditions and sort keys
 * with the same expressions as the indexes ({@link FieldExpressions}), and the keyset predicates that
 * continue a list after a row (api.md 11.2). Values are always bound.
 */
final class PostgreSQLQueries {

    private final FieldExpressions expressions;

    PostgreSQLQueries(FieldExpressions expressions) {
        this.expressions = expressions;
    }

    /**
     * One key of a list's real order.
     *
     * @param expression what rows are ordered and compared by
     * @param prefix     for strings, the indexed 200-character prefix that is ordered first (so that the
     *                   index walks it); null otherwise
     * @param nullable   whether rows may lack the value (missing values sort last in both directions)
     * @param cast       how a printed value (a cursor's) is read back: {@code ::numeric}, {@code ::boolean}, ...
     */
    record OrderTerm(String expression, @Nullable String prefix, boolean descending, boolean nullable, String cast) {
    }

    /**
     * The list's real order: the relevance when a search has no {@code sort}, then
     * {@link ListQuery#order()} (the requested keys, {@code id} last).
     *
     * @param textQuery the bound search query ({@link FieldExpressions#textQuery}); null without search
     */
    List<OrderTerm> terms(Entity entity, ListQuery query, @Nullable String textQuery) {
        List<OrderTerm> terms = new ArrayList<>();
        if (query.byRelevance()) {
            terms.add(new OrderTerm(expressions.rank(entity, textQuery), null, true, false, "::real"));
        }
        for (SortKey key : query.order()) {
            Field field = key.field();
            String cast = field.type().numeric() ? "::numeric" : field.type() == FieldType.BOOLEAN ? "::boolean" : "";
            terms.add(new OrderTerm(expressions.ordered(field), expressions.prefixed(field) ? expressions.indexed(field)
                    : null, key.descending(), !field.isId(), cast));
        }
        return terms;
    }

    /**
     * The filter's conditions as SQL, values bound to {@code sql}. {@code estimation}: for the planner's
     * row estimate only, strings are compared by their indexed prefix alone. The exact comparison is
     * implied by it for values under 200 characters, and the planner has statistics for the prefix (an
     * index expression) but not for the whole value, and would multiply the two as if independent.
     */
    List<String> predicates(Sql sql, List<Condition> conditions, boolean estimation) {
        List<String> predicates = new ArrayList<>();
        for (Condition condition : conditions) {
            predicates.add(condition(sql, condition, estimation));
        }
        return predicates;
    }

    /** Appends {@code  ORDER BY} the terms, missing values last. */
    static void orderBy(Sql sql, List<OrderTerm> terms) {
        sql.append(" ORDER BY ");
        for (int i = 0; i < terms.size(); i++) {
            OrderTerm term = terms.get(i);
            String direction = term.descending() ? " DESC" : " ASC";
            if (term.prefix() != null) {
                // The indexed prefix first (the index walks it), the whole value to settle ties exactly.
                sql.append(term.prefix()).append(direction).append(" NULLS LAST, ");
            }
            sql.append(term.expression()).append(direction).append(term.nullable() ? " NULLS LAST" : "");
            sql.append(i == terms.size() - 1 ? "" : ", ");
        }
    }

    /**
     * One part of the rows after a keyset position: a predicate, and the order within it (the terms it
     * does not hold constant), which is the list's order there. Ordering by fewer terms than the list
     * matters for the planner: it cannot tell that {@code prefix IS NULL} makes the whole string null,
     * and would sort every missing value to find the first few.
     */
    record Branch(String predicate, List<OrderTerm> order) {
    }

    /**
     * The rows after a keyset position, as disjoint branches in list order: every row of the first
     * branch comes before every row of the second, and so on. For keys {@code k1..kn} (the last one
     * {@code id}) and the position's values {@code v1..vn}, branch {@code j} (from {@code n} down to 1)
     * holds the rows equal to the position on {@code k1..k(j-1)} that come after it on {@code kj}:
     * first those with a value beyond {@code vj} in the key's direction, then, missing values sorting
     * last in both directions, those without a value. A position without a value on {@code kj} has
     * nothing beyond it on that key.
     *
     * <p>Each branch is a conjunction of equalities and one range (or {@code IS NULL}) on the next key,
     * so a B-tree on {@code (key, id)} serves it as a range scan, in either direction and whatever the
     * other keys' directions; a row-value comparison could only do that when every key shares one
     * direction. Strings are compared on their indexed prefix too ({@code left(v, 200)}), as filters are.
     *
     * @param values the position, printed as by {@link #keyColumns}; bound to {@code sql} once and
     *               shared by all branches
     */
    static List<Branch> keysetBranches(Sql sql, List<OrderTerm> terms, List<@Nullable String> values) {
        if (values.size() != terms.size()) {
            throw new IllegalArgumentException("one value per order term expected");
        }
        List<String> bound = new ArrayList<>();
        for (int i = 0; i < terms.size(); i++) {
            String value = values.get(i);
            bound.add(value == null ? null : sql.placeholder(value) + terms.get(i).cast());
        }
        List<Branch> branches = new ArrayList<>();
        for (int j = terms.size() - 1; j >= 0; j--) {
            String value = bound.get(j);
            if (value == null) {
                continue;
            }
            List<String> equal = new ArrayList<>();
            for (int k = 0; k < j; k++) {
                equal.add(equal(terms.get(k), bound.get(k)));
            }
            OrderTerm term = terms.get(j);
            branches.add(new Branch(conjunction(equal, beyond(term, value)), terms.subList(j, terms.size())));
            if (term.nullable()) {
                branches.add(new Branch(conjunction(equal, missing(term)), missingOrder(term, terms.subList(j + 1,
                        terms.size()))));
            }
        }
        return branches;
    }

    /**
     * The order within the rows lacking {@code term}: the rest of the keys. When only {@code id} is left,
     * the (null) indexed expression stays in front, so that the B-tree on {@code (expression, id)} with
     * {@code IS NULL} as its condition yields the rows in order; otherwise the planner stays free to
     * walk another key's index.
     */
    private static List<OrderTerm> missingOrder(OrderTerm term, List<OrderTerm> rest) {
        if (rest.size() != 1) {
            return rest;
        }
        String indexed = term.prefix() != null ? term.prefix() : term.expression();
        return List.of(new OrderTerm(indexed, null, term.descending(), true, term.cast()), rest.get(0));
    }

    /** {@code , <key>::text AS k0, ...}: each row's position, as {@link #keysetBranches} reads it back. */
    static String keyColumns(List<OrderTerm> terms) {
        StringBuilder columns = new StringBuilder();
        for (int i = 0; i < terms.size(); i++) {
            columns.append(", (").append(terms.get(i).expression()).append(")::text AS ").append(keyColumn(i));
        }
        return columns.toString();
    }

    static String keyColumn(int index) {
        return "k" + index;
    }

    private static String equal(OrderTerm term, @Nullable String value) {
        if (value == null) {
            return missing(term);
        }
        String prefix = term.prefix() == null ? ""
                : term.prefix() + " = left(" + value + ", " + FieldExpressions.INDEXED_PREFIX + ") AND ";
        return prefix + term.expression() + " = " + value;
    }

    private static String beyond(OrderTerm term, String value) {
        String prefix = term.prefix() == null ? "" : term.prefix() + (term.descending() ? " <= " : " >= ")
                + "left(" + value + ", " + FieldExpressions.INDEXED_PREFIX + ") AND ";
        return prefix + term.expression() + (term.descending() ? " < " : " > ") + value;
    }

    /** The prefix is null exactly when the value is, and is what the index holds. */
    private static String missing(OrderTerm term) {
        return (term.prefix() != null ? term.prefix() : term.expression()) + " IS NULL";
    }

    private static String conjunction(List<String> equal, String last) {
        List<String> all = new ArrayList<>(equal);
        all.add(last);
        return String.join(" AND ", all);
    }

    private String condition(Sql sql, Condition condition, boolean estimation) {
        Field field = condition.field();
        Object value = condition.value();
        StringBuilder text = new StringBuilder();
        switch (condition.op()) {
            case CONTAINS -> {
                if (estimation || hasTrigram((String) value)) {
                    text.append(expressions.searchable(field)).append(" LIKE ")
                            .append(expressions.foldedValue(sql.placeholder("%" + escapeLike((String) value) + "%")))
                            .append(" ESCAPE '\\'");
                } else {
                    // No trigram to look up: a text of its own, which the trigram index cannot serve. With
                    // LIKE, the one prepared text would share its plan with longer values, and once
                    // PostgreSQL settles on their (trigram) generic plan, a two-letter value walks the
                    // whole index: 160-260 ms instead of under 1 ms for a page of 100,000 users.
                    text.append("strpos(").append(expressions.searchable(field)).append(", ")
                            .append(expressions.foldedValue(sql.placeholder(value) + "::text")).append(") > 0");
                }
            }
            case HAS_ELEMENT -> text.append(expressions.array(field)).append(" @> jsonb_build_array(")
                    .append(expressions.foldedValue(sql.placeholder(value) + "::text")).append(")");
            case LACKS_ELEMENT -> text.append("(data->").append(Sql.quoteLiteral(field.name()))
                    .append(") IS NOT NULL AND NOT ").append(expressions.array(field))
                    .append(" @> jsonb_build_array(")
                    .append(expressions.foldedValue(sql.placeholder(value) + "::text")).append(")");
            default -> {
                String placeholder = sql.placeholder(value);
                String prefixOperator = prefixOperator(condition.op());
                if (expressions.prefixed(field) && prefixOperator != null) {
                    // Implied by the exact comparison, and what the prefix index can answer.
                    text.append(expressions.indexed(field)).append(prefixOperator)
                            .append(expressions.indexedValue(placeholder));
                    if (estimation) {
                        break;
                    }
                    text.append(" AND ");
                }
                text.append(expressions.ordered(field)).append(operator(condition.op()))
                        .append(valueExpression(field, placeholder));
            }
        }
        return text.toString();
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
    /**
     * Whether pg_trgm finds a trigram in {@code %value%}: a run of three letters or digits (its word
     * characters). Without one, its index cannot narrow a {@code LIKE} and would be read whole.
     */
    static boolean hasTrigram(String value) {
        int run = 0;
        for (int i = 0; i < value.length(); ) {
            int c = value.codePointAt(i);
            run = Character.isLetterOrDigit(c) ? run + 1 : 0;
            if (run >= 3) {
                return true;
            }
            i += Character.charCount(c);
        }
        return false;
    }

    static String escapeLike(String value) {
        return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
