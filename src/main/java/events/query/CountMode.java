package events.query;

import java.util.Locale;
import java.util.Optional;

/** How a list answer's {@code total} is found (api.md 11.1). */
public enum CountMode {
    /** {@code count(*)} of the match, in the page's snapshot (free when the page shows the end). */
    EXACT,
    /** The planner's row estimate of the list's {@code WHERE}: cost independent of the table's size. */
    ESTIMATED,
    /** No total: {@code hasMore} says whether another page follows. */
    NONE;

    /** The mode named {@code exact}, {@code estimated} or {@code none} (any case), if it is one. */
    public static Optional<CountMode> of(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "exact" -> Optional.of(EXACT);
            case "estimated" -> Optional.of(ESTIMATED);
            case "none" -> Optional.of(NONE);
            default -> Optional.empty();
        };
    }

    /** The spelling of the API and the configuration file. */
    public String parameterValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
