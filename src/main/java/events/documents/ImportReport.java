package events.documents;

import java.util.List;
import java.util.Objects;

import events.error.ApiError;

/**
 * Where an import stands (api.md 12.2): the lines received, the documents created, the lines that
 * failed. One is published after each batch (its lists empty), and a last one, {@code done}, with the
 * failed lines (the first {@value DocumentImport#MAX_LISTED}; {@code unlisted} counts the rest) and
 * the warnings that belong to no line.
 *
 * @param created in an atomic import under way, the documents its transaction holds; once done, the
 *                documents committed (0 when it was rolled back)
 */
public record ImportReport(long received, long created, long failed, boolean done, List<LineFailure> lines,
                           long unlisted, List<Notifications.Warning> warnings) {

    public ImportReport {
        lines = List.copyOf(lines);
        warnings = List.copyOf(warnings);
    }

    /** A progress report: counts only. */
    static ImportReport progress(long received, long created, long failed) {
        return new ImportReport(received, created, failed, false, List.of(), 0, List.of());
    }

    /** Why line {@code line} (1-based, as in the input) was not stored. */
    public record LineFailure(long line, ApiError error) {
        public LineFailure {
            Objects.requireNonNull(error, "error must not be null");
        }

        /** Its notifications key: {@code "line 7"}. */
        public String key() {
            return key(line);
        }

        static String key(long line) {
            return "line " + line;
        }
    }
}
