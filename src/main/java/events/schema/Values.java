package events.schema;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The text forms of dates, datetimes and ids (api.md 3.2 and 6): parsing what clients send and the one
 * fixed-width form stored, so that text order is time order.
 */
public final class Values {

    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    /** RFC 3339 with 'T' or space, optional fraction, optional offset (none means UTC). */
    private static final Pattern DATETIME = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})?");
    private static final DateTimeFormatter STRICT_DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd")
            .withResolverStyle(ResolverStyle.STRICT);
    private static final DateTimeFormatter LENIENT_DATETIME = new DateTimeFormatterBuilder()
            .parseCaseInsensitive()
            .appendPattern("uuuu-MM-dd")
            .optionalStart().appendLiteral('T').optionalEnd()
            .optionalStart().appendLiteral(' ').optionalEnd()
            .appendPattern("HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .parseDefaulting(ChronoField.OFFSET_SECONDS, 0)
            .toFormatter(Locale.ROOT)
            .withResolverStyle(ResolverStyle.STRICT);
    private static final DateTimeFormatter STORED_DATETIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final int MAX_ID_LENGTH = 128;

    private Values() {
    }

    /** {@code YYYY-MM-DD}, or the calendar date of an RFC 3339 datetime in its own offset. */
    public static Optional<String> date(String text) {
        try {
            if (DATE.matcher(text).matches()) {
                return Optional.of(LocalDate.parse(text, STRICT_DATE).format(STRICT_DATE));
            }
            if (DATETIME.matcher(text).matches()) {
                return Optional.of(OffsetDateTime.parse(normalizeZ(text), LENIENT_DATETIME).toLocalDate()
                        .format(STRICT_DATE));
            }
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** UTC, fixed width, milliseconds; a plain date is its midnight UTC. */
    public static Optional<String> datetime(String text) {
        try {
            OffsetDateTime value;
            if (DATE.matcher(text).matches()) {
                value = LocalDate.parse(text, STRICT_DATE).atStartOfDay().atOffset(ZoneOffset.UTC);
            } else if (DATETIME.matcher(text).matches()) {
                value = OffsetDateTime.parse(normalizeZ(text), LENIENT_DATETIME);
            } else {
                return Optional.empty();
            }
            int year = value.withOffsetSameInstant(ZoneOffset.UTC).getYear();
            if (year < 0 || year > 9999) {
                return Optional.empty();
            }
            return Optional.of(STORED_DATETIME.format(value.toInstant()));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    /** The current time in the stored datetime form. */
    public static String now(java.time.Clock clock) {
        return STORED_DATETIME.format(clock.instant());
    }

    /** Today's date (UTC) in the stored date form. */
    public static String today(java.time.Clock clock) {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).format(STRICT_DATE);
    }

    /**
     * A client id, trimmed and lower-cased, when it follows api.md 3.2: 1–128 characters, no whitespace,
     * control characters, lone surrogates or '/'.
     */
    public static Optional<String> clientId(String text) {
        String id = text.trim().toLowerCase(Locale.ROOT);
        if (id.isEmpty() || id.codePointCount(0, id.length()) > MAX_ID_LENGTH) {
            return Optional.empty();
        }
        // A lone surrogate has no UTF-8 form: stored, it would become '?'.
        boolean bad = id.codePoints().anyMatch(c -> c == '/' || Character.isWhitespace(c)
                || Character.isISOControl(c) || Character.isSpaceChar(c) || c == 0xFEFF
                || (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE));
        return bad ? Optional.empty() : Optional.of(id);
    }

    private static String normalizeZ(String text) {
        return text.replace('t', 'T').replace('z', 'Z');
    }
}
