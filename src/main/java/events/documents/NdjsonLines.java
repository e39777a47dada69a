package events.documents;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Splits an NDJSON byte stream (an HTTP body, a file, standard input) into {@link NdjsonLine}s as the
 * bytes arrive, at constant memory: only the line being read is held, and a line longer than the limit
 * is not held at all (its bytes are dropped as they come; only its length is kept), so a body of any size
 * and a line of any length cost at most the limit. Lines end at {@code \n}; a {@code \r} before it is
 * dropped; blank lines (only spaces, tabs, {@code \r}) are skipped but counted, so numbers match the
 * input's line numbers; a last line without a line end counts. Demand flows back to the source: the next
 * buffer is read only when the lines of the previous one have been taken.
 *
 * <p>Examples: {@code "{}\n\n{}"} → lines 1 and 3; {@code "{}\r\n"} → line 1 {@code {}}; a 2 MiB line
 * with a 1 MiB limit → a line with no bytes and length 2097152.
 */
public final class NdjsonLines {

    /** The longest line read whole (api.md 12.2: the 1 MiB limit applies per line). */
    public static final int DEFAULT_LIMIT = 1024 * 1024;
    /** Buffers read ahead of the lines being taken. */
    private static final int PREFETCH = 2;

    private NdjsonLines() {
    }

    /** The lines of {@code bytes}; each buffer is released once split. */
    public static Flux<NdjsonLine> split(Flux<DataBuffer> bytes, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive");
        }
        return Flux.defer(() -> {
            Splitter splitter = new Splitter(limit);
            return bytes.concatMapIterable(buffer -> {
                        try {
                            return splitter.feed(buffer);
                        } finally {
                            DataBufferUtils.release(buffer);
                        }
                    }, PREFETCH)
                    .concatWith(Mono.fromSupplier(splitter::finish).flatMapIterable(last -> last))
                    .doOnDiscard(DataBuffer.class, DataBufferUtils::release);
        });
    }

    /** The state between buffers: the part of a line read so far. Used by one subscriber at a time. */
    static final class Splitter {

        private final int limit;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private long number;
        private long length;
        private boolean over;

        Splitter(int limit) {
            this.limit = limit;
        }

        /** The lines that {@code buffer} completes. */
        List<NdjsonLine> feed(DataBuffer buffer) {
            byte[] chunk = new byte[buffer.readableByteCount()];
            buffer.read(chunk);
            return feed(chunk);
        }

        List<NdjsonLine> feed(byte[] chunk) {
            List<NdjsonLine> lines = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < chunk.length; i++) {
                if (chunk[i] == '\n') {
                    NdjsonLine line = end(chunk, start, i);
                    if (line != null) {
                        lines.add(line);
                    }
                    start = i + 1;
                }
            }
            append(chunk, start, chunk.length);
            return lines;
        }

        /** The last line, when the input does not end with a line end. */
        List<NdjsonLine> finish() {
            if (length == 0) {
                return List.of();
            }
            NdjsonLine line = end(new byte[0], 0, 0);
            return line == null ? List.of() : List.of(line);
        }

        private void append(byte[] chunk, int from, int to) {
            int count = to - from;
            if (count == 0) {
                return;
            }
            length += count;
            if (over) {
                return;
            }
            // The limit is checked before the line end's \r is known: a line of exactly the limit plus \r
            // is refused too, which costs nothing real.
            if (length > limit + 1L) {
                over = true;
                partial.reset();
                return;
            }
            partial.write(chunk, from, count);
        }

        /** Ends the current line at {@code chunk[to]}; null for a blank one. */
        private NdjsonLine end(byte[] chunk, int from, int to) {
            number++;
            byte[] bytes;
            long total = length + (to - from);
            if (over || total > limit + 1L) {
                bytes = null;
            } else if (partial.size() == 0) {
                bytes = Arrays.copyOfRange(chunk, from, to);
            } else {
                partial.write(chunk, from, to - from);
                bytes = partial.toByteArray();
            }
            partial.reset();
            length = 0;
            over = false;
            if (bytes == null) {
                return new NdjsonLine(number, null, total);
            }
            int end = bytes.length;
            if (end > 0 && bytes[end - 1] == '\r') {
                end--;
            }
            if (end > limit) {
                return new NdjsonLine(number, null, end);
            }
            if (blank(bytes, end)) {
                return null;
            }
            return new NdjsonLine(number, end == bytes.length ? bytes : Arrays.copyOf(bytes, end), end);
        }

        private static boolean blank(byte[] bytes, int end) {
            for (int i = 0; i < end; i++) {
                byte b = bytes[i];
                if (b != ' ' && b != '\t' && b != '\r') {
                    return false;
                }
            }
            return true;
        }
    }
}
