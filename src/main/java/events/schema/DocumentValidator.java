package events.schema;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import events.error.ApiError;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Checks a create or replace body against its entity (api.md 6 and 7) and normalises it on the way in:
 * dates and datetimes to their stored forms, ids to lower case, optional nulls and empty foreign keys to
 * absent, defaults applied. Every failing field is reported, one entry each.
 */
public final class DocumentValidator {

    private static final int MAX_ECHO = 100;
    /** bcrypt reads at most 72 bytes; a longer secret is refused rather than silently truncated. */
    private static final int MAX_SECRET_BYTES = 72;
    /** ObjectId values follow the id rules' length (api.md 3.2); ids are never longer. */
    private static final int MAX_ID_LENGTH = 128;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    /** The outcome: the normalised data (no {@code id}), the failures, and body keys the schema lacks. */
    public record Result(ObjectNode data, List<ApiError.Entry> errors, List<String> ignored) {
        public Result {
            errors = List.copyOf(errors);
            ignored = List.copyOf(ignored);
        }

        public boolean valid() {
            return errors.isEmpty();
        }
    }

    /**
     * Validates {@code body}. On {@code replace}, secret fields may be omitted (they keep their stored
     * hash), so their absence is not a {@code required} failure.
     */
    public Result validate(Entity entity, ObjectNode body, boolean replace) {
        ObjectNode data = NODES.objectNode();
        List<ApiError.Entry> errors = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        Set<String> expansions = entity.foreignKeys().stream()
                .map(f -> f.name().substring(0, f.name().length() - 2))
                .collect(Collectors.toSet());
        Set<String> known = entity.fields().stream().map(Field::name).collect(Collectors.toSet());
        for (String key : body.propertyNames()) {
            if (!key.equals("id") && !known.contains(key) && !expansions.contains(key)) {
                ignored.add(key);
            }
        }
        for (Field field : entity.fields()) {
            JsonNode value = body.get(field.name());
            if (value == null || value.isNull()) {
                if (value == null && field.defaultValue() != null) {
                    data.set(field.name(), field.defaultValue().deepCopy());
                } else if (field.required() && !field.autoGenerate() && !field.autoUpdate()
                        && !(replace && field.secret())) {
                    errors.add(new ApiError.Entry(field.name() + " is required", field.name(), null));
                }
                continue;
            }
            check(field, value, data, errors);
        }
        return new Result(data, errors, ignored);
    }

    /**
     * Checks the members of a JSON merge patch on their own (api.md 13), before the stored document is
     * read: each schema field it sets is checked as on create, and {@code null} on a required field (one
     * the server does not fill) is a {@code required} failure. The result's data holds the checked
     * members in their stored form; JSON fields keep their {@code null}s, which remove keys when merged.
     * {@code id} is ignored silently, like a foreign key's expansion.
     */
    public Result validatePatch(Entity entity, ObjectNode patch) {
        ObjectNode data = NODES.objectNode();
        List<ApiError.Entry> errors = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        Set<String> expansions = entity.foreignKeys().stream()
                .map(f -> f.name().substring(0, f.name().length() - 2))
                .collect(Collectors.toSet());
        Set<String> known = entity.fields().stream().map(Field::name).collect(Collectors.toSet());
        for (String key : patch.propertyNames()) {
            if (!key.equals("id") && !known.contains(key) && !expansions.contains(key)) {
                ignored.add(key);
            }
        }
        for (Field field : entity.fields()) {
            JsonNode value = patch.get(field.name());
            if (value == null) {
                continue;
            }
            if (value.isNull()) {
                if (field.required() && !field.autoGenerate() && !field.autoUpdate()) {
                    errors.add(new ApiError.Entry(field.name() + " is required", field.name(), null));
                }
                continue;
            }
            check(field, value, data, errors);
        }
        return new Result(data, errors, ignored);
    }

    private static void check(Field field, JsonNode value, ObjectNode data, List<ApiError.Entry> errors) {
        String name = field.name();
        ApiError.Entry unstorable = unstorable(field, value);
        if (unstorable != null) {
            errors.add(unstorable);
            return;
        }
        JsonNode normalised = normalise(field, value);
        if (normalised == null) {
            errors.add(failure(field, name + " must be " + expected(field.type()), value));
            return;
        }
        if (normalised.isString() && normalised.asString().isEmpty()
                && (field.type() == FieldType.OBJECT_ID || field.required())) {
            if (field.required()) {
                errors.add(failure(field, name + " is required", value));
            }
            return; // an empty optional key is stored as absent (api.md 8.2)
        }
        String problem = constraints(field, normalised);
        if (problem != null) {
            errors.add(failure(field, problem, value));
            return;
        }
        data.set(name, normalised);
    }

    /** The value in its stored form, or null when it is not of the field's type. */
    private static @Nullable JsonNode normalise(Field field, JsonNode value) {
        switch (field.type()) {
            case STRING:
                return value.isString() ? value : null;
            case OBJECT_ID:
                return value.isString()
                        ? NODES.stringNode(value.asString().trim().toLowerCase(Locale.ROOT)) : null;
            case INTEGER:
                if (value.isIntegralNumber()) {
                    return value.canConvertToLong() ? NODES.numberNode(value.longValue()) : null;
                }
                if (value.isFloatingPointNumber()) {
                    if (value.isDouble() && !Double.isFinite(value.doubleValue())) {
                        return null;
                    }
                    // Range before anything else, so 1e2147483647 is never expanded to its 2^31 digits.
                    BigDecimal decimal = value.decimalValue();
                    if (decimal.compareTo(LONG_MIN) < 0 || decimal.compareTo(LONG_MAX) > 0
                            || decimal.stripTrailingZeros().scale() > 0) {
                        return null;
                    }
                    return NODES.numberNode(decimal.longValueExact());
                }
                return null;
            case NUMBER:
            case FLOAT:
            case CURRENCY:
                return value.isNumber() ? value : null; // exactly as sent (a DecimalNode keeps every digit)
            case BOOLEAN:
                return value.isBoolean() ? value : null;
            case DATE:
                return value.isString() ? Values.date(value.asString()).map(NODES::stringNode).orElse(null) : null;
            case DATETIME:
                return value.isString() ? Values.datetime(value.asString()).map(NODES::stringNode).orElse(null) : null;
            case STRING_ARRAY:
                if (!value.isArray()) {
                    return null;
                }
                for (JsonNode element : value) {
                    if (!element.isString()) {
                        return null;
                    }
                }
                return value;
            case JSON_OBJECT:
                return value.isObject() ? value : null;
            case JSON_ANY:
                return value;
            default:
                throw new IllegalStateException("unhandled type " + field.type());
        }
    }

    private static @Nullable String constraints(Field field, JsonNode value) {
        String name = field.name();
        if (value.isString()) {
            String text = value.asString();
            int length = text.codePointCount(0, text.length());
            if (field.minLength() != null && length < field.minLength()) {
                return name + " must be at least " + field.minLength() + " characters";
            }
            if (field.maxLength() != null && length > field.maxLength()) {
                return name + " must be at most " + field.maxLength() + " characters";
            }
            if (field.type() == FieldType.OBJECT_ID && length > MAX_ID_LENGTH) {
                return name + " must be at most " + MAX_ID_LENGTH + " characters";
            }
            if (field.hashed() && text.getBytes(StandardCharsets.UTF_8).length > MAX_SECRET_BYTES) {
                return name + " must be at most " + MAX_SECRET_BYTES + " bytes";
            }
            if (field.pattern() != null && !field.pattern().matcher(text).find()) {
                return field.patternMessage() != null ? field.patternMessage() : name + " has a bad format";
            }
            if (field.hasEnum() && !field.enumValues().contains(text)) {
                String message = name + " must be one of " + String.join(", ", field.enumValues());
                return message.length() > MAX_ECHO ? name + " is not one of the allowed values" : message;
            }
        }
        if (value.isNumber()) {
            BigDecimal number = value.decimalValue();
            if (field.ge() != null && number.compareTo(field.ge()) < 0) {
                return name + " must be >= " + field.ge().toPlainString();
            }
            if (field.le() != null && number.compareTo(field.le()) > 0) {
                return name + " must be <= " + field.le().toPlainString();
            }
            if (field.gt() != null && number.compareTo(field.gt()) <= 0) {
                return name + " must be > " + field.gt().toPlainString();
            }
            if (field.lt() != null && number.compareTo(field.lt()) >= 0) {
                return name + " must be < " + field.lt().toPlainString();
            }
        }
        return null;
    }

    /**
     * A value the database could not hold as sent, wherever it sits in the field's value (JSON fields
     * nest): a number outside {@link NumberRange}, a NUL character (JSONB refuses {@code \u0000}), or a
     * lone surrogate (no UTF-8 form; the request parser already answers 400 for those, this guards the
     * other callers). Null when there is none; a value of the wrong type is left to the type check.
     */
    private static ApiError.@Nullable Entry unstorable(Field field, JsonNode value) {
        FieldType type = field.type();
        boolean json = type == FieldType.JSON_OBJECT || type == FieldType.JSON_ANY;
        boolean numbers = json || type == FieldType.NUMBER || type == FieldType.FLOAT || type == FieldType.CURRENCY;
        boolean texts = json || type == FieldType.STRING || type == FieldType.OBJECT_ID || type == FieldType.STRING_ARRAY;
        String name = field.name();
        Deque<JsonNode> pending = new ArrayDeque<>();
        pending.push(value);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            boolean whole = node == value;
            String problem = null;
            if (node.isNumber() && numbers) {
                NumberRange.Problem range = NumberRange.check(node);
                problem = range == null ? null : name + (whole ? " is " : " holds a number ") + range.text();
            } else if (node.isString() && texts) {
                problem = textProblem(name, node.asString(), whole);
            } else if (node.isObject() && json) {
                for (Map.Entry<String, JsonNode> property : node.properties()) {
                    String keyProblem = textProblem(name, property.getKey(), false);
                    if (keyProblem != null) {
                        return failure(field, keyProblem, NODES.stringNode(property.getKey()));
                    }
                    pending.push(property.getValue());
                }
            } else if (node.isArray() && (json || type == FieldType.STRING_ARRAY)) {
                node.values().forEach(pending::push);
            }
            if (problem != null) {
                return failure(field, problem, node);
            }
        }
        return null;
    }

    private static @Nullable String textProblem(String name, String text, boolean whole) {
        String subject = whole ? name + " " : name + " holds text that ";
        if (text.indexOf('\0') >= 0) {
            return subject + "contains a NUL character, which cannot be stored";
        }
        if (hasLoneSurrogate(text)) {
            return subject + "is not valid Unicode (a lone surrogate)";
        }
        return null;
    }

    private static boolean hasLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static ApiError.Entry failure(Field field, String message, JsonNode value) {
        if (field.secret()) {
            return new ApiError.Entry(message, field.name(), null); // never echo a secret
        }
        return new ApiError.Entry(message, field.name(), echo(value));
    }

    /** The offending value as sent, long strings shortened so a message stays small. */
    static JsonNode echo(JsonNode value) {
        if (value.isString() && value.asString().length() > MAX_ECHO) {
            return NODES.stringNode(value.asString().substring(0, MAX_ECHO) + "...");
        }
        return value;
    }

    private static String expected(FieldType type) {
        return switch (type) {
            case STRING, OBJECT_ID -> "a string";
            case INTEGER -> "an integer";
            case NUMBER, FLOAT, CURRENCY -> "a number";
            case BOOLEAN -> "true or false";
            case DATE -> "a date (YYYY-MM-DD)";
            case DATETIME -> "an RFC 3339 datetime";
            case STRING_ARRAY -> "an array of strings";
            case JSON_OBJECT -> "a JSON object";
            case JSON_ANY -> "JSON";
        };
    }

    /** An id-field failure entry, for the service's client-id check. */
    public static ApiError.Entry badId(JsonNode value) {
        return new ApiError.Entry("id must be 1-128 characters without whitespace, control characters or '/'",
                "id", echo(value));
    }

}
