package events.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

import events.error.ApiError;
import events.error.ApiException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns request bytes into a JSON tree strictly (api.md 6), or fails with a 400 that names the top-level
 * field where the problem sits:
 * <ul>
 * <li>UTF-8 only: overlong forms ({@code C0 AF}), encoded surrogates ({@code ED A0 80}), stray and
 * truncated bytes are refused, never repaired;</li>
 * <li>no lone surrogate ({@code "\ud800"}) in a string or a property name: it cannot be stored as UTF-8;</li>
 * <li>no duplicate property names;</li>
 * <li>numbers exact: integers as {@code int}/{@code long}/{@link BigInteger}, every other number as the
 * {@link BigDecimal} written, so range and bound checks see the value sent, not its nearest double.</li>
 * </ul>
 * Numbers whose exponent does not fit a {@link BigDecimal} become one of the same sign and the most extreme
 * exponent, which validation then refuses as out of range (422 on the field), like {@code 1e400}.
 *
 * <p>Examples: {@code {"id": "\ud800"}} → 400 naming {@code id}; bytes {@code {"name": "a\xC0\xAF"}} → 400
 * naming {@code name}; {@code {"netWorth": 10000000.0000000001}} → a {@code DecimalNode} with every digit.
 */
public final class JsonBodyParser {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Stands in for each invalid UTF-8 sequence: a lone surrogate, so the tree walk finds its field. */
    private static final char INVALID_BYTES = '\uDFFF';
    private static final int MAX_SHOWN = 40;
    /** Decimals kept on a zero (0.000 stays 0.000); PostgreSQL's numeric holds at most 16383. */
    private static final int MAX_ZERO_SCALE = 1000;

    private final JsonMapper json;
    /** What the messages call the input: {@code Request body}, or {@code Line} for NDJSON lines. */
    private final String subject;

    JsonBodyParser(JsonMapper json) {
        this(json, "Request body");
    }

    /** A parser whose messages call the input {@code subject} ({@code "Line"}: one line of an import). */
    public JsonBodyParser(JsonMapper json, String subject) {
        this.subject = subject;
        // Duplicate names are found while building the tree, where the field is known.
        this.json = json.rebuild()
                .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .build();
    }

    /** The JSON value in {@code bytes} (not empty); an {@link ApiException} with a 400 otherwise. */
    public JsonNode parse(byte[] bytes) {
        Decoded text = decode(bytes);
        Walk walk = new Walk(text.malformed());
        try (JsonParser parser = json.createParser(text.chars())) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw bad(subject + " is empty; a JSON object is expected", null);
            }
            JsonNode node = walk.value(parser, 0);
            if (parser.nextToken() != null) {
                throw bad(subject + " has more than one JSON value", null);
            }
            return node;
        } catch (JacksonException e) {
            if (text.malformed()) {
                throw bad(subject + " is not valid UTF-8", null);
            }
            String reason = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
            // Limits name the Jackson setting behind them: useless to a client.
            reason = reason.replaceAll(", from `[^`]*`", "");
            throw bad(limit(subject + " is not valid JSON" + walk.where() + ": " + reason), walk.field);
        }
    }

    private record Decoded(char[] chars, boolean malformed) {
    }

    /**
     * Strict UTF-8 (Java's decoder refuses overlong forms, surrogates and values above U+10FFFF); each
     * invalid sequence becomes {@link #INVALID_BYTES}. A leading byte-order mark is dropped (RFC 8259 8.1).
     */
    private static Decoded decode(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1); // never more chars than bytes
        boolean malformed = false;
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (!result.isError()) {
                break;
            }
            malformed = true;
            out.put(INVALID_BYTES);
            in.position(in.position() + result.length());
        }
        decoder.flush(out);
        out.flip();
        if (out.hasRemaining() && out.get(out.position()) == '\uFEFF') {
            out.get();
        }
        char[] chars = new char[out.remaining()];
        out.get(chars);
        return new Decoded(chars, malformed);
    }

    /** Builds the tree token by token, remembering the top-level field it is in. */
    private final class Walk {

        private final boolean malformed;
        private @Nullable String field;

        Walk(boolean malformed) {
            this.malformed = malformed;
        }

        JsonNode value(JsonParser parser, int depth) {
            JsonToken token = parser.currentToken();
            switch (token) {
                case START_OBJECT: {
                    ObjectNode object = NODES.objectNode();
                    for (JsonToken next = parser.nextToken(); next == JsonToken.PROPERTY_NAME; next = parser.nextToken()) {
                        String name = parser.currentName();
                        checkText(name, true);
                        if (object.has(name)) {
                            throw bad(limit(subject + " has the property '" + shorten(name) + "' twice"
                                    + where()), depth == 0 ? name : field);
                        }
                        if (depth == 0) {
                            field = name;
                        }
                        parser.nextToken();
                        object.set(name, value(parser, depth + 1));
                        if (depth == 0) {
                            field = null; // between top-level properties, a problem belongs to none
                        }
                    }
                    return object;
                }
                case START_ARRAY: {
                    ArrayNode array = NODES.arrayNode();
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        array.add(value(parser, depth + 1));
                    }
                    return array;
                }
                case VALUE_STRING: {
                    String text = parser.getString();
                    checkText(text, false);
                    return NODES.stringNode(text);
                }
                case VALUE_NUMBER_INT:
                    return integer(parser);
                case VALUE_NUMBER_FLOAT:
                    return decimal(parser);
                case VALUE_TRUE:
                    return NODES.booleanNode(true);
                case VALUE_FALSE:
                    return NODES.booleanNode(false);
                case VALUE_NULL:
                    return NODES.nullNode();
                default:
                    throw new IllegalStateException("unexpected token " + token);
            }
        }

        private JsonNode integer(JsonParser parser) {
            return switch (parser.getNumberType()) {
                case INT -> NODES.numberNode(parser.getIntValue());
                case LONG -> NODES.numberNode(parser.getLongValue());
                default -> NODES.numberNode(parser.getBigIntegerValue());
            };
        }

        private JsonNode decimal(JsonParser parser) {
            BigDecimal value;
            try {
                value = parser.getDecimalValue();
            } catch (NumberFormatException e) {
                value = extreme(parser.getText());
            }
            if (value.signum() == 0 && value.scale() > MAX_ZERO_SCALE) {
                value = BigDecimal.ZERO; // 0e-99999 is zero; PostgreSQL could not hold its 99999 decimals
            }
            return NODES.numberNode(value);
        }

        private void checkText(String text, boolean name) {
            if (hasLoneSurrogate(text)) {
                String what = name ? "a property name" : "a string";
                if (malformed) {
                    throw bad(limit(subject + " is not valid UTF-8: " + what + where()), field);
                }
                throw bad(limit(capitalised(what) + where() + " has a lone surrogate (invalid Unicode)"), field);
            }
        }

        private String where() {
            return field == null ? "" : " in '" + shorten(field) + "'";
        }
    }

    /**
     * A number whose exponent is beyond what {@link BigDecimal} holds ({@code 1e2147483648}): zero when its
     * digits are all zero, else 1 with its sign and the largest (or smallest) exponent there is.
     */
    static BigDecimal extreme(String text) {
        int exponent = Math.max(text.indexOf('e'), text.indexOf('E'));
        String mantissa = exponent < 0 ? text : text.substring(0, exponent);
        if (mantissa.chars().noneMatch(c -> c >= '1' && c <= '9')) {
            return BigDecimal.ZERO;
        }
        boolean tiny = exponent >= 0 && exponent + 1 < text.length() && text.charAt(exponent + 1) == '-';
        BigInteger sign = text.startsWith("-") ? BigInteger.ONE.negate() : BigInteger.ONE;
        return new BigDecimal(sign, tiny ? Integer.MAX_VALUE : -Integer.MAX_VALUE);
    }

    static boolean hasLoneSurrogate(String text) {
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

    private static String capitalised(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    private static String shorten(String text) {
        String shown = hasLoneSurrogate(text) ? text.replaceAll("[\\uD800-\\uDFFF]", "?") : text;
        return shown.length() > MAX_SHOWN ? shown.substring(0, MAX_SHOWN) + "..." : shown;
    }

    private static String limit(String message) {
        return message.length() > 100 ? message.substring(0, 97) + "..." : message;
    }

    private static ApiException bad(String message, @Nullable String field) {
        return new ApiException(new ApiError.BadRequest(message, field == null ? null : shorten(field)));
    }
}
