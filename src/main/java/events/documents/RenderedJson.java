package events.documents;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.SerializableString;
import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.POJONode;
import tools.jackson.databind.util.RawValue;

/**
 * A JSON value already rendered as UTF-8 bytes (a document's view written from its stored text), for
 * answers to copy as they are: a generator writes it with {@code writeRawValue}, the NDJSON stream copies
 * the bytes. As a {@link JsonNode} it is a raw-value node: in-process callers that need to look inside a
 * document (batch references) use the tree view instead.
 */
public final class RenderedJson implements SerializableString {

    /** Numbers as exactly as the stored text has them. */
    private static final JsonMapper TREES = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final byte[] bytes;
    private final int length;

    RenderedJson(byte[] bytes, int length) {
        this.bytes = bytes;
        this.length = length;
    }

    /** JSON already serialised. */
    public static RenderedJson of(byte[] json) {
        return new RenderedJson(json, json.length);
    }

    /** As a node of an answer's tree. */
    public JsonNode asNode() {
        return JsonNodeFactory.instance.rawValueNode(new RawValue(this));
    }

    /** The rendered value inside {@code node}, or null if {@code node} is an ordinary tree. */
    public static @Nullable RenderedJson in(JsonNode node) {
        return node instanceof POJONode pojo && pojo.getPojo() instanceof RawValue raw
                && raw.rawValue() instanceof RenderedJson rendered ? rendered : null;
    }

    /**
     * {@code node} as a tree to look into: parsed again when it is a rendered value, else {@code node}
     * itself. For in-process callers (the command line); answers copy the bytes instead.
     */
    public static JsonNode tree(JsonNode node) {
        RenderedJson rendered = in(node);
        return rendered == null ? node : TREES.readTree(rendered.asUnquotedUTF8());
    }

    /** The number of bytes. */
    public int length() {
        return length;
    }

    /** Copies the bytes into {@code target} at {@code offset}. */
    public void copyTo(byte[] target, int offset) {
        System.arraycopy(bytes, 0, target, offset, length);
    }

    @Override
    public String getValue() {
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    @Override
    public int charLength() {
        return getValue().length();
    }

    @Override
    public char[] asQuotedChars() {
        return JsonStringEncoder.getInstance().quoteAsCharArray(getValue());
    }

    @Override
    public byte[] asUnquotedUTF8() {
        return Arrays.copyOf(bytes, length);
    }

    @Override
    public byte[] asQuotedUTF8() {
        return JsonStringEncoder.getInstance().quoteAsUTF8(getValue());
    }

    @Override
    public int appendQuotedUTF8(byte[] buffer, int offset) {
        return append(asQuotedUTF8(), buffer, offset);
    }

    @Override
    public int appendQuoted(char[] buffer, int offset) {
        return append(asQuotedChars(), buffer, offset);
    }

    @Override
    public int appendUnquotedUTF8(byte[] buffer, int offset) {
        if (offset + length > buffer.length) {
            return -1;
        }
        System.arraycopy(bytes, 0, buffer, offset, length);
        return length;
    }

    @Override
    public int appendUnquoted(char[] buffer, int offset) {
        return append(getValue().toCharArray(), buffer, offset);
    }

    @Override
    public int writeQuotedUTF8(OutputStream out) throws IOException {
        byte[] quoted = asQuotedUTF8();
        out.write(quoted);
        return quoted.length;
    }

    @Override
    public int writeUnquotedUTF8(OutputStream out) throws IOException {
        out.write(bytes, 0, length);
        return length;
    }

    @Override
    public int putQuotedUTF8(ByteBuffer buffer) {
        byte[] quoted = asQuotedUTF8();
        if (quoted.length > buffer.remaining()) {
            return -1;
        }
        buffer.put(quoted);
        return quoted.length;
    }

    @Override
    public int putUnquotedUTF8(ByteBuffer buffer) {
        if (length > buffer.remaining()) {
            return -1;
        }
        buffer.put(bytes, 0, length);
        return length;
    }

    @Override
    public String toString() {
        return getValue();
    }

    private static int append(byte[] source, byte[] buffer, int offset) {
        if (offset + source.length > buffer.length) {
            return -1;
        }
        System.arraycopy(source, 0, buffer, offset, source.length);
        return source.length;
    }

    private static int append(char[] source, char[] buffer, int offset) {
        if (offset + source.length > buffer.length) {
            return -1;
        }
        System.arraycopy(source, 0, buffer, offset, source.length);
        return source.length;
    }
}
