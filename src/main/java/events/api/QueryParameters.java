package events.api;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.springframework.web.util.UriUtils;

import events.error.ApiError;
import events.error.ApiException;

/**
 * The query parameters of entity routes (api.md 5), parsed once: names case-insensitive, the last
 * occurrence wins, an unknown name is a 400 that lists the valid ones.
 *
 * <p>Examples: {@code ?PAGESIZE=10&page=2} → page 2 of 10; {@code ?pageSize=0} → 400 naming
 * {@code pageSize}; {@code ?limit=5} → 400 naming {@code limit}.
 */
final class QueryParameters {

    /** Canonical spelling of each accepted parameter, by lower-case name. */
    private static final Map<String, String> KNOWN = knownNames(
            List.of("page", "pageSize", "sort", "filter", "full_match", "view", "count", "after", "search",
                    "no_consistency"));
    /** The parameters of {@code POST /api/{E}/_import} (api.md 12.2). */
    private static final Map<String, String> IMPORT = knownNames(List.of("mode"));

    private final Map<String, String> values;

    private QueryParameters(Map<String, String> values) {
        this.values = values;
    }

    /**
     * Parses the raw query string in order, so the last occurrence wins whatever its spelling. Only
     * {@code %XX} is decoded: a literal {@code +} stays a plus (datetime offsets).
     */
    static QueryParameters of(@Nullable String rawQuery) {
        return of(rawQuery, KNOWN);
    }

    /** The parameters of an import: only {@code mode}; any other is a 400 that names it. */
    static QueryParameters ofImport(@Nullable String rawQuery) {
        return of(rawQuery, IMPORT);
    }

    private static QueryParameters of(@Nullable String rawQuery, Map<String, String> known) {
        Map<String, String> values = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return new QueryParameters(values);
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals), "parameter name");
            String value = equals < 0 ? "" : decode(pair.substring(equals + 1), name);
            String canonical = known.get(name.toLowerCase(Locale.ROOT));
            if (canonical == null) {
                String shown = name.length() > 40 ? name.substring(0, 40) + "..." : name;
                // no_consistency is accepted for old clients but does nothing, so the list leaves it out.
                String valid = "'; valid: " + String.join(",", known.values().stream()
                        .filter(n -> !n.equals("no_consistency")).toList());
                // Messages stay within 100 characters (api.md 3.4): the name gives way to the list.
                int room = 100 - "Unknown parameter '".length() - valid.length();
                String inMessage = shown.length() <= room ? shown : shown.substring(0, Math.max(0, room - 3)) + "...";
                throw new ApiException(new ApiError.BadRequest("Unknown parameter '" + inMessage + valid, shown));
            }
            values.put(canonical, value);
        }
        return new QueryParameters(values);
    }

    private static String decode(String text, String what) {
        try {
            return UriUtils.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            String shown = what.length() > 40 ? what.substring(0, 40) + "..." : what;
            throw new ApiException(new ApiError.BadRequest("Bad percent-encoding in " + shown, shown));
        }
    }

    Optional<String> get(String name) {
        return Optional.ofNullable(values.get(name));
    }

    /** An integer parameter in 1..max, or its default; a 400 naming it otherwise. */
    int positive(String name, int defaultValue, int max) {
        String text = values.get(name);
        if (text == null) {
            return defaultValue;
        }
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            value = -1;
        }
        if (value < 1 || value > max) {
            String shown = text.length() > 20 ? text.substring(0, 20) + "..." : text;
            String range = max == Integer.MAX_VALUE ? "an integer >= 1" : "an integer from 1 to " + max;
            throw new ApiException(new ApiError.BadRequest(name + " must be " + range + ", not '" + shown + "'", name));
        }
        return value;
    }

    private static Map<String, String> knownNames(List<String> names) {
        Map<String, String> map = new LinkedHashMap<>();
        names.forEach(n -> map.put(n.toLowerCase(Locale.ROOT), n));
        return Collections.unmodifiableMap(map);
    }
}
