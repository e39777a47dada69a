package events.api;

import java.util.regex.Pattern;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import events.error.ApiError;
import events.error.ApiException;
import events.query.Condition;
import events.query.Condition.Op;
import events.query.CountMode;
import events.query.CursorCodec;
import events.query.Expansion;
import events.query.Keyset;
import events.query.ListQuery;
import events.query.PageRequest;
import events.query.SortKey;
import events.schema.Entity;
import events.schema.Field;
import events.schema.FieldType;
import events.schema.Schema;
import events.schema.Values;

/**
 * The list query language of api.md 5, parsed once into typed values with every name resolved
 * against the schema. Worked examples:
 *
 * <pre>
 * sort=lastName:desc,,id         → [lastName desc, id asc]
 * filter=netWorth:gte:25000,netWorth:lte:75000 → [netWorth GE 25000, netWorth LE 75000]
 * filter=url:"http://x.org/a,b"  → [url CONTAINS "http://x.org/a,b"]
 * filter=username:martin_x &amp;full_match → [username EQ "martin_x"]
 * filter=tags:music              → [tags HAS_ELEMENT "music"]
 * view=account(name,id)          → [Account: name, id]
 * count=estimated                → ESTIMATED (count=none → NONE; absent → the configured default)
 * search=jazz -rock              → search "jazz -rock" (400 on an entity without searchable fields)
 * after=AXq3...                  → the keyset the cursor holds (400 if altered or for another list)
 * filter=nosuch:1                → 400 naming "nosuch"
 * </pre>
 */
final class ListQueryParser {

    private static final Map<String, Op> OPERATORS = Map.of("eq", Op.EQ, "ne", Op.NE, "gt", Op.GT, "gte", Op.GE,
            "ge", Op.GE, "lt", Op.LT, "lte", Op.LE, "le", Op.LE);

    /** Something in operator position that is a word: an operator, known or not (not a datetime's hour). */
    private static final Pattern OPERATOR_LIKE = Pattern.compile("[A-Za-z_]+");

    /** Longest {@code search} accepted: words, not documents. */
    static final int MAX_SEARCH = 1000;

    private final Schema schema;
    private final CursorCodec cursors;
    private final CountMode defaultCount;

    ListQueryParser(Schema schema, CursorCodec cursors, CountMode defaultCount) {
        this.schema = schema;
        this.cursors = cursors;
        this.defaultCount = defaultCount;
    }

    /** A parser whose cursors no other parser accepts (a random secret), counting exactly by default. */
    ListQueryParser(Schema schema) {
        this(schema, new CursorCodec(randomSecret()), CountMode.EXACT);
    }

    /** The full list query (api.md 5.1–5.4, 11). */
    ListQuery list(Entity entity, QueryParameters parameters) {
        int page = parameters.positive("page", 1, Integer.MAX_VALUE);
        int size = parameters.positive("pageSize", PageRequest.DEFAULT_SIZE, PageRequest.MAX_SIZE);
        boolean paged = parameters.get("page").isPresent() || parameters.get("pageSize").isPresent();
        boolean fullMatch = fullMatch(parameters);
        ListQuery query = new ListQuery(new PageRequest(page, size), paged,
                sort(entity, parameters.get("sort").orElse("")),
                filter(entity, parameters.get("filter").orElse(""), fullMatch),
                view(parameters), count(parameters), search(entity, parameters), null);
        Optional<String> after = parameters.get("after").filter(text -> !text.isBlank());
        if (after.isEmpty()) {
            return query;
        }
        if (parameters.get("page").isPresent()) {
            throw bad("after", "after and page cannot be combined: after continues where a cursor left off");
        }
        return new ListQuery(query.page(), query.paged(), query.sort(), query.filter(), query.view(), query.count(),
                query.search(), keyset(entity, query, after.get()));
    }

    private CountMode count(QueryParameters parameters) {
        String text = parameters.get("count").orElse("");
        if (text.isBlank()) {
            return defaultCount;
        }
        return CountMode.of(text).orElseThrow(() -> bad("count", "count must be exact, estimated or none, not '"
                + shorten(text) + "'"));
    }

    /** The websearch text, or null for none; only entities with {@code search: true} fields have any. */
    private static String search(Entity entity, QueryParameters parameters) {
        String text = parameters.get("search").map(String::strip).orElse("");
        if (text.isEmpty()) {
            return null;
        }
        if (entity.searchFields().isEmpty()) {
            throw bad("search", "search: " + entity.name() + " has no searchable fields");
        }
        if (text.length() > MAX_SEARCH) {
            throw bad("search", "search must be at most " + MAX_SEARCH + " characters");
        }
        if (text.indexOf('\0') >= 0) {
            throw bad("search", "search must not contain NUL characters");
        }
        return text;
    }

    /**
     * The position an {@code after} cursor holds. It must carry this server family's MAC over this very
     * list (entity, order, filter, search), and one well-formed value per key.
     */
    private Keyset keyset(Entity entity, ListQuery query, String token) {
        List<String> values = cursors.decode(token, CursorCodec.binding(entity, query)).orElseThrow(() -> bad("after",
                "after: not a cursor of this list (altered, or issued for another sort, filter or search)"));
        if (values.size() != query.keyCount()) {
            throw bad("after", "after: the cursor does not fit this list's sort");
        }
        int index = 0;
        if (query.byRelevance() && !isFloat(values.get(index++))) {
            throw bad("after", "after: the cursor's relevance is malformed");
        }
        for (SortKey key : query.order()) {
            String value = values.get(index++);
            if (!fits(key.field(), value)) {
                throw bad("after", "after: the cursor's value for '" + key.field().name() + "' is malformed");
            }
        }
        return new Keyset(values);
    }

    /** Whether a cursor value has the form PostgreSQL prints for the field's sort expression. */
    private static boolean fits(Field field, String value) {
        if (value == null) {
            return !field.isId();
        }
        if (field.type().numeric()) {
            if (value.equals("NaN") || value.equals("Infinity") || value.equals("-Infinity")) {
                return true;
            }
            try {
                new BigDecimal(value);
                return true;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        if (field.type() == FieldType.BOOLEAN) {
            return value.equals("true") || value.equals("false");
        }
        return true;
    }

    private static boolean isFloat(String value) {
        if (value == null) {
            return false;
        }
        try {
            Float.parseFloat(value);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static byte[] randomSecret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /** The parameters of a single-document route: only {@code view} applies, the rest is checked. */
    List<Expansion> single(Entity entity, QueryParameters parameters) {
        list(entity, parameters);
        return view(parameters);
    }

    List<SortKey> sort(Entity entity, String text) {
        List<SortKey> keys = new ArrayList<>();
        for (String segment : text.split(",", -1)) {
            if (segment.isBlank()) {
                continue;
            }
            String[] parts = segment.split(":", -1);
            if (parts.length > 2) {
                throw bad("sort", "sort key '" + shorten(segment) + "' must be field[:asc|desc]");
            }
            Field field = field(entity, parts[0].trim(), "sort");
            if (!sortable(field)) {
                throw bad("sort", "sort: field '" + field.name() + "' of type " + field.type().schemaName()
                        + " cannot be sorted");
            }
            boolean descending = false;
            if (parts.length == 2) {
                String direction = parts[1].trim().toLowerCase(Locale.ROOT);
                if (!direction.equals("asc") && !direction.equals("desc")) {
                    throw bad("sort", "sort direction of '" + field.name() + "' must be asc or desc, not '"
                            + shorten(parts[1]) + "'");
                }
                descending = direction.equals("desc");
            }
            if (keys.stream().noneMatch(k -> k.field().equals(field))) {
                keys.add(new SortKey(field, descending));
            }
        }
        return keys;
    }

    List<Condition> filter(Entity entity, String text, boolean fullMatch) {
        // Equality-like conditions are keyed by field so that a repeated eq/ne replaces the earlier one.
        Map<String, Condition> equalities = new LinkedHashMap<>();
        List<Condition> ranges = new ArrayList<>();
        for (String segment : splitOutsideQuotes(text, ',')) {
            if (segment.isBlank()) {
                continue;
            }
            Condition condition = condition(entity, segment, fullMatch);
            switch (condition.op()) {
                case GT, GE, LT, LE -> ranges.add(condition);
                default -> equalities.put(condition.field().name(), condition);
            }
        }
        List<Condition> conditions = new ArrayList<>(equalities.values());
        conditions.addAll(ranges);
        return conditions;
    }

    List<Expansion> view(QueryParameters parameters) {
        String text = parameters.get("view").orElse("");
        List<Expansion> expansions = new ArrayList<>();
        int position = 0;
        while (position < text.length()) {
            char c = text.charAt(position);
            if (c == ',' || Character.isWhitespace(c)) {
                position++;
                continue;
            }
            int open = text.indexOf('(', position);
            int close = open < 0 ? -1 : text.indexOf(')', open);
            if (open < 0 || close < 0) {
                throw bad("view", "view must be entity(field,...)[,entity(...)], not '" + shorten(text.substring(position))
                        + "'");
            }
            String name = text.substring(position, open).trim();
            Entity target = schema.entity(name).orElseThrow(() -> bad("view", "view: unknown entity '" + shorten(name) + "'"));
            List<Field> fields = new ArrayList<>();
            for (String fieldName : text.substring(open + 1, close).split(",", -1)) {
                if (fieldName.isBlank()) {
                    continue;
                }
                Field field = field(target, fieldName.trim(), "view");
                if (!fields.contains(field)) {
                    fields.add(field);
                }
            }
            if (fields.isEmpty()) {
                throw bad("view", "view: " + target.name() + "() names no fields");
            }
            expansions.add(new Expansion(target, fields));
            position = close + 1;
        }
        return expansions;
    }

    private Condition condition(Entity entity, String segment, boolean fullMatch) {
        int colon = indexOutsideQuotes(segment, ':', 0);
        if (colon < 0) {
            throw bad("filter", "filter condition '" + shorten(segment) + "' must be field:value or field:op:value");
        }
        Field field = field(entity, segment.substring(0, colon).trim(), "filter");
        String rest = segment.substring(colon + 1);
        Op op = Op.EQ;
        int second = indexOutsideQuotes(rest, ':', 0);
        String candidate = second < 0 ? "" : rest.substring(0, second).trim();
        if (second >= 0 && OPERATORS.containsKey(candidate.toLowerCase(Locale.ROOT))) {
            op = OPERATORS.get(candidate.toLowerCase(Locale.ROOT));
            rest = rest.substring(second + 1);
        } else if (second >= 0 && OPERATOR_LIKE.matcher(candidate).matches()) {
            // field:word:value with an unknown word; a value with colons (a URL) must be quoted.
            throw bad("filter", "filter on '" + field.name() + "': unknown operator '" + shorten(candidate)
                    + "' (eq, ne, gt, gte, lt, lte)");
        } else if (OPERATORS.containsKey(rest.trim().toLowerCase(Locale.ROOT)) && second < 0) {
            throw bad("filter", "filter on '" + field.name() + "' has operator " + rest.trim() + " but no value");
        }
        String value = unquote(rest, field);
        if (value.isEmpty()) {
            throw bad("filter", "filter on '" + field.name() + "' has no value");
        }
        return typed(field, op, value, fullMatch);
    }

    /** Applies the matching table of api.md 5.3: what {@code eq} means and how the value parses. */
    private static Condition typed(Field field, Op op, String value, boolean fullMatch) {
        FieldType type = field.type();
        boolean range = op == Op.GT || op == Op.GE || op == Op.LT || op == Op.LE;
        switch (type) {
            case STRING:
                if (op == Op.EQ && field.plainString() && !field.isId() && !fullMatch) {
                    return new Condition(field, Op.CONTAINS, value);
                }
                return new Condition(field, op, value);
            case OBJECT_ID:
                return new Condition(field, op, value.trim().toLowerCase(Locale.ROOT));
            case INTEGER:
            case NUMBER:
            case FLOAT:
            case CURRENCY:
                try {
                    return new Condition(field, op, new BigDecimal(value.trim()));
                } catch (NumberFormatException e) {
                    throw bad("filter", "filter on '" + field.name() + "' needs a number, not '" + shorten(value) + "'");
                }
            case BOOLEAN:
                if (range) {
                    throw bad("filter", "filter on boolean '" + field.name() + "' allows only eq and ne");
                }
                return new Condition(field, op, bool(field, value));
            case DATE:
                return new Condition(field, op, Values.date(value.trim()).orElseThrow(() -> bad("filter",
                        "filter on '" + field.name() + "' needs a date YYYY-MM-DD, not '" + shorten(value) + "'")));
            case DATETIME:
                return new Condition(field, op, Values.datetime(value.trim()).orElseThrow(() -> bad("filter",
                        "filter on '" + field.name() + "' needs a date or datetime, not '" + shorten(value) + "'")));
            case STRING_ARRAY:
                if (range) {
                    throw bad("filter", "filter on array '" + field.name() + "' allows only eq and ne");
                }
                return new Condition(field, op == Op.NE ? Op.LACKS_ELEMENT : Op.HAS_ELEMENT, value);
            default:
                throw bad("filter", "field '" + field.name() + "' of type " + type.schemaName() + " cannot be filtered");
        }
    }

    private static Boolean bool(Field field, String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes":
                return Boolean.TRUE;
            case "false", "0", "no":
                return Boolean.FALSE;
            default:
                throw bad("filter", "filter on '" + field.name() + "' needs true/false/1/0/yes/no, not '"
                        + shorten(value) + "'");
        }
    }

    private static boolean fullMatch(QueryParameters parameters) {
        Optional<String> value = parameters.get("full_match");
        if (value.isEmpty()) {
            return false;
        }
        switch (value.get().trim().toLowerCase(Locale.ROOT)) {
            case "", "true", "1", "yes":
                return true;
            case "false", "0", "no":
                return false;
            default:
                throw bad("full_match", "full_match must be empty, true/1/yes or false/0/no");
        }
    }

    /** A field by name, case-insensitively; secret fields do not exist for queries. */
    private static Field field(Entity entity, String name, String parameter) {
        return entity.field(name).filter(f -> !f.secret()).orElseThrow(() -> bad(parameter,
                parameter + ": unknown field '" + shorten(name) + "' of " + entity.name()));
    }

    private static boolean sortable(Field field) {
        return field.type() != FieldType.JSON_OBJECT && field.type() != FieldType.JSON_ANY
                && field.type() != FieldType.STRING_ARRAY;
    }

    /** A value quoted with {@code "} or {@code '} loses its quotes; an unterminated quote is a 400. */
    private static String unquote(String raw, Field field) {
        String trimmed = raw.strip();
        if (!trimmed.isEmpty() && (trimmed.charAt(0) == '"' || trimmed.charAt(0) == '\'')) {
            char quote = trimmed.charAt(0);
            if (trimmed.length() < 2 || trimmed.charAt(trimmed.length() - 1) != quote) {
                throw bad("filter", "filter on '" + field.name() + "' has an unterminated quoted value");
            }
            return trimmed.substring(1, trimmed.length() - 1);
        }
        return raw;
    }

    private static List<String> splitOutsideQuotes(String text, char separator) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        int index;
        while ((index = indexOutsideQuotes(text, separator, start)) >= 0) {
            parts.add(text.substring(start, index));
            start = index + 1;
        }
        parts.add(text.substring(start));
        return parts;
    }

    /** Index of {@code target} at or after {@code from} that is not inside a quoted value, or -1. */
    private static int indexOutsideQuotes(String text, char target, int from) {
        char quote = 0;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if ((c == '"' || c == '\'') && startsValue(text, i)) {
                quote = c;
            } else if (c == target) {
                return i;
            }
        }
        return -1;
    }

    /** A quote opens a quoted value only right after a ':' (or at the start of a segment). */
    private static boolean startsValue(String text, int i) {
        int j = i - 1;
        while (j >= 0 && text.charAt(j) == ' ') {
            j--;
        }
        return j < 0 || text.charAt(j) == ':' || text.charAt(j) == ',';
    }

    private static ApiException bad(String parameter, String message) {
        return new ApiException(new ApiError.BadRequest(message.length() > 100 ? message.substring(0, 97) + "..."
                : message, parameter));
    }

    private static String shorten(String text) {
        return text.length() > 30 ? text.substring(0, 30) + "..." : text;
    }
}
