package events.db;

import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * A position in the primary's write-ahead log (an LSN, written {@code 16/B374D848} by PostgreSQL) as one
 * number, so that positions compare: a replica has replayed a write once its replay position is at or
 * past the position read on the primary after the write committed.
 */
public record WalPosition(long lsn) implements Comparable<WalPosition> {

    /**
     * A position no replica reaches ({@code 7FFFFFFF/FFFFFFFF}, some 9 exabytes of WAL): reads that must
     * see it go to the primary. Stands for a write whose position is not known (yet).
     */
    public static final WalPosition UNREACHED = new WalPosition(Long.MAX_VALUE);

    public WalPosition {
        if (lsn < 0) {
            throw new IllegalArgumentException("lsn must be >= 0, not " + lsn);
        }
    }

    /**
     * Parses {@code X/Y}: one to eight hex digits (either case), a slash, one to eight hex digits, nothing
     * else (no sign, no space, no {@code 0x}). A position past {@link #UNREACHED} is {@link #UNREACHED}.
     * Empty for anything else: {@code "16/B374D848"} is {@code 0x16B374D848}; {@code "16/"},
     * {@code "16/B374D8480"}, {@code " 16/B3"}, {@code "-1/0"} and {@code "g/0"} are empty.
     */
    public static Optional<WalPosition> parse(@Nullable String text) {
        if (text == null) {
            return Optional.empty();
        }
        int slash = text.indexOf('/');
        if (slash < 1 || slash > 8 || text.length() - slash - 1 < 1 || text.length() - slash - 1 > 8) {
            return Optional.empty();
        }
        long high = hex(text, 0, slash);
        long low = hex(text, slash + 1, text.length());
        if (high < 0 || low < 0) {
            return Optional.empty();
        }
        return Optional.of(high > 0x7FFFFFFFL ? UNREACHED : new WalPosition(high << 32 | low));
    }

    /** The digits of {@code text} from {@code start} to {@code end} as a number; -1 if one is not a hex digit. */
    private static long hex(String text, int start, int end) {
        long value = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            int digit;
            if (c >= '0' && c <= '9') {
                digit = c - '0';
            } else if (c >= 'A' && c <= 'F') {
                digit = c - 'A' + 10;
            } else if (c >= 'a' && c <= 'f') {
                digit = c - 'a' + 10;
            } else {
                return -1;
            }
            value = value << 4 | digit;
        }
        return value;
    }

    @Override
    public int compareTo(WalPosition other) {
        return Long.compare(lsn, other.lsn);
    }

    /** PostgreSQL's own form: {@code 16/B374D848}. */
    @Override
    public String toString() {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }
}
