package events.documents;

import org.jspecify.annotations.Nullable;

/**
 * One line of an NDJSON input (api.md 12.2): its number in the input (1-based, blank lines counted, so
 * an editor finds it), its bytes without the line end, and its length. A line over the limit keeps only
 * its length: its bytes were dropped as they arrived, never buffered.
 *
 * @param bytes the line's bytes, or null when it was longer than the limit
 */
public record NdjsonLine(long number, byte @Nullable [] bytes, long length) {

    /** Whether the line was over the limit (its bytes are gone). */
    public boolean tooLong() {
        return bytes == null;
    }
}
