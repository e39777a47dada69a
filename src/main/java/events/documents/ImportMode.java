package events.documents;

import java.util.Locale;
import java.util.Optional;

/** How an import treats bad lines (api.md 12.2). */
public enum ImportMode {

    /** Bad lines are reported and skipped; good lines are stored, each batch in its own transaction. */
    SKIP,
    /** One transaction for the whole input: any bad line and nothing is stored. */
    ATOMIC;

    /** {@code skip} or {@code atomic}, any case; empty for anything else. */
    public static Optional<ImportMode> of(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "skip" -> Optional.of(SKIP);
            case "atomic" -> Optional.of(ATOMIC);
            default -> Optional.empty();
        };
    }
}
