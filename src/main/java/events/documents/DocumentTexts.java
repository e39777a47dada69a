package events.documents;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import events.schema.Entity;
import events.schema.Field;
import events.schema.Schema;
import tools.jackson.core.io.JsonStringEncoder;

/**
 * {@link DocumentView}'s answer written straight from the stored document's JSON text, without a tree
 * (issue 9: parsing each row into a tree, copying it into schema order and serialising it again was most of
 * a list's and an export's CPU). One pass finds where each top-level value starts and ends; a second copies
 * the values in schema order after {@code "id"}, leaving out secrets, nulls and keys the schema no longer
 * has, and dropping the blanks PostgreSQL's JSONB output puts after {@code :} and {@code ,} (strings are
 * copied as they are). Numbers keep their stored text, as the tree path writes them too.
 *
 * <p>Text it does not expect (a key with an escape, anything malformed) gives null, and the caller renders
 * from the tree: the answer is the same either way, only slower.
 */
final class DocumentTexts {

    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ID = "{\"id\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long QUOTES = ONES * '"';
    private static final long BACKSLASHES = ONES * '\\';

    /** Per entity of the schema, computed once; an entity from elsewhere (tests) gets its layout on use. */
    private final Map<Entity, Layout> layouts = new IdentityHashMap<>();

    DocumentTexts(Schema schema) {
        for (Entity entity : schema.entities()) {
            layouts.put(entity, new Layout(entity));
        }
    }

    /** The view of document {@code id} whose stored data is {@code text}, or null to render from the tree. */
    @Nullable RenderedJson render(Entity entity, String id, byte[] text) {
        Layout layout = layouts.get(entity);
        return (layout != null ? layout : new Layout(entity)).render(id, text);
    }

    /** Field names as they appear in the text, and as they are written. */
    private static final class Layout {

        private final byte[][] names;
        /** {@code ,"name":} per field. */
        private final byte[][] prefixes;
        private final boolean[] shown;
        /** Open addressing by {@link #hash} of the name: field index + 1, 0 for an empty slot. */
        private final int[] slots;
        private final int mask;

        Layout(Entity entity) {
            List<Field> fields = entity.fields();
            names = new byte[fields.size()][];
            prefixes = new byte[fields.size()][];
            shown = new boolean[fields.size()];
            JsonStringEncoder encoder = JsonStringEncoder.getInstance();
            for (int i = 0; i < fields.size(); i++) {
                Field field = fields.get(i);
                names[i] = field.name().getBytes(StandardCharsets.UTF_8);
                byte[] quoted = encoder.quoteAsUTF8(field.name());
                byte[] prefix = new byte[quoted.length + 4];
                prefix[0] = ',';
                prefix[1] = '"';
                System.arraycopy(quoted, 0, prefix, 2, quoted.length);
                prefix[quoted.length + 2] = '"';
                prefix[quoted.length + 3] = ':';
                prefixes[i] = prefix;
                shown[i] = !field.secret();
            }
            int size = Integer.highestOneBit(Math.max(4, fields.size() * 4) - 1) << 1;
            slots = new int[size];
            mask = size - 1;
            for (int i = 0; i < names.length; i++) {
                int slot = hash(names[i], 0, names[i].length) & mask;
                while (slots[slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                slots[slot] = i + 1;
            }
        }

        @Nullable RenderedJson render(String id, byte[] text) {
            int count = names.length;
            int[] starts = new int[count];
            int[] ends = new int[count];
            int i = skipBlanks(text, 0);
            if (i >= text.length || text[i] != '{') {
                return null;
            }
            i = skipBlanks(text, i + 1);
            boolean empty = i < text.length && text[i] == '}';
            while (!empty) {
                if (i >= text.length || text[i] != '"') {
                    return null;
                }
                // The key, hashed on the way; a key with an escape is not compared (the tree renders it).
                int keyStart = i + 1;
                int keyEnd = keyStart;
                int hash = 0;
                while (keyEnd < text.length && text[keyEnd] != '"') {
                    if (text[keyEnd] == '\\') {
                        return null;
                    }
                    hash = 31 * hash + text[keyEnd];
                    keyEnd++;
                }
                if (keyEnd >= text.length) {
                    return null;
                }
                int field = fieldOf(hash, text, keyStart, keyEnd);
                i = skipBlanks(text, keyEnd + 1);
                if (i >= text.length || text[i] != ':') {
                    return null;
                }
                int valueStart = skipBlanks(text, i + 1);
                int valueEnd = endOfValue(text, valueStart);
                if (valueEnd < 0) {
                    return null;
                }
                if (field >= 0 && shown[field]) {
                    starts[field] = valueStart;
                    ends[field] = valueEnd;
                }
                i = skipBlanks(text, valueEnd);
                if (i >= text.length) {
                    return null;
                }
                if (text[i] == '}') {
                    break;
                }
                if (text[i] != ',') {
                    return null;
                }
                i = skipBlanks(text, i + 1);
            }
            byte[] quotedId = quoted(id);
            int size = ID.length + quotedId.length + 2;
            for (int f = 0; f < count; f++) {
                if (ends[f] > 0) {
                    size += prefixes[f].length + ends[f] - starts[f];
                }
            }
            byte[] out = new byte[size];
            System.arraycopy(ID, 0, out, 0, ID.length);
            int at = ID.length;
            System.arraycopy(quotedId, 0, out, at, quotedId.length);
            at += quotedId.length;
            out[at++] = '"';
            for (int f = 0; f < count; f++) {
                int start = starts[f];
                int end = ends[f];
                if (end == 0 || Arrays.equals(text, start, end, NULL, 0, NULL.length)) {
                    continue;
                }
                System.arraycopy(prefixes[f], 0, out, at, prefixes[f].length);
                at += prefixes[f].length;
                byte first = text[start];
                if (first == '{' || first == '[') {
                    at = copyWithoutBlanks(text, start, end, out, at);
                } else {
                    System.arraycopy(text, start, out, at, end - start);
                    at += end - start;
                }
            }
            out[at++] = '}';
            return new RenderedJson(out, at);
        }

        /** The field whose name is {@code text[from, to)}, whose {@link #hash} is {@code hash}; -1 for none. */
        private int fieldOf(int hash, byte[] text, int from, int to) {
            int length = to - from;
            for (int slot = hash & mask; slots[slot] != 0; slot = (slot + 1) & mask) {
                byte[] name = names[slots[slot] - 1];
                if (name.length == length && Arrays.equals(name, 0, length, text, from, to)) {
                    return slots[slot] - 1;
                }
            }
            return -1;
        }
    }

    /** The hash of a key as {@code render} computes it while finding the key's end. */
    private static int hash(byte[] bytes, int from, int to) {
        int hash = 0;
        for (int k = from; k < to; k++) {
            hash = 31 * hash + bytes[k];
        }
        return hash;
    }

    /** The id's JSON string content: ids are plain text almost always, escaped when not. */
    private static byte[] quoted(String id) {
        for (int k = 0; k < id.length(); k++) {
            char c = id.charAt(k);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return JsonStringEncoder.getInstance().quoteAsUTF8(id);
            }
        }
        return id.getBytes(StandardCharsets.US_ASCII);
    }

    private static int skipBlanks(byte[] text, int i) {
        while (i < text.length && isBlank(text[i])) {
            i++;
        }
        return i;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    /**
     * The index after the string starting at {@code text[start] == '"'}, or -1 if it does not end. Strings
     * are most of a document's bytes: eight at a time are skipped while none is a quote or a backslash.
     */
    private static int endOfString(byte[] text, int start) {
        int i = start + 1;
        int length = text.length;
        while (i < length) {
            if (i + 8 <= length) {
                long word = (long) LONGS.get(text, i);
                if (!hasByte(word, QUOTES) && !hasByte(word, BACKSLASHES)) {
                    i += 8;
                    continue;
                }
            }
            byte b = text[i];
            if (b == '"') {
                return i + 1;
            }
            i += b == '\\' ? 2 : 1;
        }
        return -1;
    }

    /** Whether a byte of {@code word} equals the byte repeated in {@code pattern} (the classic SWAR test). */
    private static boolean hasByte(long word, long pattern) {
        long x = word ^ pattern;
        return ((x - ONES) & ~x & HIGHS) != 0;
    }

    /** The index after the value starting at {@code start}, or -1 if it does not end. */
    private static int endOfValue(byte[] text, int start) {
        if (start >= text.length) {
            return -1;
        }
        byte first = text[start];
        if (first == '"') {
            return endOfString(text, start);
        }
        if (first == '{' || first == '[') {
            int depth = 0;
            int i = start;
            while (i < text.length) {
                byte b = text[i];
                if (b == '"') {
                    i = endOfString(text, i);
                    if (i < 0) {
                        return -1;
                    }
                    continue;
                }
                if (b == '{' || b == '[') {
                    depth++;
                } else if (b == '}' || b == ']') {
                    depth--;
                    if (depth == 0) {
                        return i + 1;
                    }
                }
                i++;
            }
            return -1;
        }
        int i = start;
        while (i < text.length) {
            byte b = text[i];
            if (b == ',' || b == '}' || b == ']' || isBlank(b)) {
                break;
            }
            i++;
        }
        return i == start ? -1 : i;
    }

    /** Copies {@code text[from, to)} without the blanks outside strings; returns the new end in {@code out}. */
    private static int copyWithoutBlanks(byte[] text, int from, int to, byte[] out, int at) {
        int i = from;
        while (i < to) {
            byte b = text[i];
            if (b == '"') {
                int end = endOfString(text, i);
                System.arraycopy(text, i, out, at, end - i);
                at += end - i;
                i = end;
            } else {
                if (!isBlank(b)) {
                    out[at++] = b;
                }
                i++;
            }
        }
        return at;
    }
}
