package events.documents;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import events.db.StoredDocument;
import events.schema.Entity;
import events.schema.Schema;
import events.schema.SchemaLoader;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.util.MinimalPrettyPrinter;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@link DocumentTexts} writes, from a stored document's text, exactly the bytes the tree path
 * ({@link DocumentView} then Jackson) writes: random documents in PostgreSQL's JSONB output style
 * ({@code ": "} and {@code ", "}) and compact, with unknown keys, secrets, nulls, nesting and strings full of
 * the characters a scanner could trip on. Text it cannot handle falls back (null), never a wrong answer.
 */
class DocumentTextsTests {

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] TRICKY = {"", " ", "a, b: c", "{\"x\": [1, 2]}", "quote \" inside", "back\\slash",
        "tab\tnew\nline", "é ü 中文 😀", "\\\"", "]}", "null", "  spaced  ", "\u0001\u001f"};

    private static final Schema SCHEMA = new SchemaLoader().load("""
            entities:
              Thing:
                fields:
                  name: { type: String }
                  count: { type: Integer }
                  ratio: { type: Number }
                  flag: { type: Boolean }
                  tags: { type: 'Array[String]' }
                  meta: { type: JSON }
                  password: { type: String, encrypt: true }
                  z: { type: String }
                  aVeryLongFieldNameIndeed: { type: String }
            """, null);
    private static final Entity THING = SCHEMA.entity("Thing").orElseThrow();
    private final DocumentTexts texts = new DocumentTexts(SCHEMA);

    @RepeatedTest(300)
    void randomDocumentsRenderAsTheTreeDoes(org.junit.jupiter.api.RepetitionInfo repetition) {
        Random random = new Random(repetition.getCurrentRepetition() * 7919L);
        ObjectNode data = randomDocument(random);
        String id = random.nextInt(10) == 0 ? "id with \"quote\" and é" : "thing-" + random.nextInt(1000);
        String expected = JSON.writeValueAsString(DocumentView.render(THING, new StoredDocument(id, data)));
        for (byte[] text : new byte[][] {postgresStyle(data), JSON.writeValueAsBytes(data)}) {
            RenderedJson rendered = texts.render(THING, id, text);
            assertThat(rendered).as("rendered from %s", new String(text, StandardCharsets.UTF_8)).isNotNull();
            assertThat(rendered.getValue()).isEqualTo(expected);
        }
    }

    @Test
    void theDocumentReadAsTextRendersTheSameThroughTheService() {
        ObjectNode data = NODES.objectNode().put("z", "last").put("name", "first").put("password", "$2a$10$hash");
        data.putNull("flag");
        data.put("removedField", "gone");
        StoredDocument read = StoredDocument.read("t-1", postgresStyle(data), text -> (ObjectNode) JSON.readTree(text),
                StoredDocument.UNVERSIONED);
        RenderedJson rendered = texts.render(THING, read.id(), read.unparsedText());
        assertThat(rendered.getValue()).isEqualTo("{\"id\":\"t-1\",\"name\":\"first\",\"z\":\"last\"}");
        assertThat(read.data().path("name").asString()).isEqualTo("first");
        assertThat(read.unparsedText()).as("a tree handed out may change: the text no longer speaks for it").isNull();
    }

    /** Strings are scanned eight bytes at a time: an escape or a quote at every offset of long strings. */
    @Test
    void escapesAtEveryOffsetOfLongStrings() {
        for (String special : new String[] {"\"", "\\", "\\\"", "\n", "é"}) {
            for (int length = 0; length < 40; length++) {
                for (int at = 0; at <= length; at++) {
                    String value = "x".repeat(at) + special + "y".repeat(length - at);
                    ObjectNode data = NODES.objectNode().put("aVeryLongFieldNameIndeed", value).put("z", value + value);
                    String expected = JSON.writeValueAsString(DocumentView.render(THING, new StoredDocument("s", data)));
                    assertThat(texts.render(THING, "s", postgresStyle(data)).getValue()).as(value).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void anEmptyDocumentIsItsId() {
        assertThat(texts.render(THING, "e", "{}".getBytes(StandardCharsets.UTF_8)).getValue())
                .isEqualTo("{\"id\":\"e\"}");
    }

    @Test
    void textItDoesNotExpectFallsBackToTheTree() {
        for (String text : new String[] {"", "[]", "{", "{\"name\"", "{\"name\": ", "{\"name\": \"open",
            "{\"name\": [1, 2", "{\"name\": 1 \"z\": 2}", "{\"na\\u006de\": \"escaped key\"}", "{name: 1}"}) {
            assertThat(texts.render(THING, "x", text.getBytes(StandardCharsets.UTF_8))).as(text).isNull();
        }
    }

    /** PostgreSQL's JSONB output: {@code {"a": 1, "b": [1, 2]}}. */
    private static byte[] postgresStyle(JsonNode data) {
        MinimalPrettyPrinter printer = new MinimalPrettyPrinter() {
            @Override
            public void writeObjectNameValueSeparator(JsonGenerator g) {
                g.writeRaw(": ");
            }

            @Override
            public void writeObjectEntrySeparator(JsonGenerator g) {
                g.writeRaw(", ");
            }

            @Override
            public void writeArrayValueSeparator(JsonGenerator g) {
                g.writeRaw(", ");
            }
        };
        return JSON.writer().with(printer).writeValueAsBytes(data);
    }

    private static ObjectNode randomDocument(Random random) {
        ObjectNode data = NODES.objectNode();
        String[] keys = {"name", "count", "ratio", "flag", "tags", "meta", "password", "z", "aVeryLongFieldNameIndeed",
            "unknown", "nam", "names"};
        for (String key : keys) {
            if (random.nextInt(4) == 0) {
                continue;
            }
            data.set(key, random.nextInt(8) == 0 ? NODES.nullNode() : randomValue(random, 0));
        }
        return data;
    }

    private static JsonNode randomValue(Random random, int depth) {
        int kind = random.nextInt(depth > 2 ? 5 : 7);
        return switch (kind) {
            case 0 -> NODES.stringNode(TRICKY[random.nextInt(TRICKY.length)]);
            case 1 -> NODES.numberNode(random.nextInt() - 5);
            case 2 -> NODES.numberNode(new BigDecimal(random.nextInt(100000) + "." + random.nextInt(100)));
            case 3 -> NODES.booleanNode(random.nextBoolean());
            case 4 -> NODES.nullNode();
            case 5 -> {
                ArrayNode array = NODES.arrayNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    array.add(randomValue(random, depth + 1));
                }
                yield array;
            }
            default -> {
                ObjectNode object = NODES.objectNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    object.set(TRICKY[random.nextInt(TRICKY.length)] + i, randomValue(random, depth + 1));
                }
                yield object;
            }
        };
    }
}
