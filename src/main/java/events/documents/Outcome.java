package events.documents;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;

/**
 * What the service answers: {@code data} (a document, {@code {}} or a list), the warnings, for lists the
 * pagination, and for a single stored document its version as a strong entity tag ({@code "17"},
 * quotes included; api.md 13).
 */
public record Outcome(JsonNode data, Notifications notifications, @Nullable Pagination pagination,
                      @Nullable String etag) {

    public Outcome {
        Objects.requireNonNull(data, "data must not be null");
        Objects.requireNonNull(notifications, "notifications must not be null");
    }

    /** An answer without entity tag. */
    public Outcome(JsonNode data, Notifications notifications, @Nullable Pagination pagination) {
        this(data, notifications, pagination, null);
    }

    /**
     * The {@code pagination} of a list answer (api.md 3.3, 11). Null components are left out of the
     * answer: {@code page} after a cursor, {@code total} with {@code count=none}, {@code totalEstimated}
     * outside {@code count=estimated}, {@code hasMore} outside {@code count=none}, {@code next} at the
     * end of the list.
     */
    public record Pagination(@Nullable Integer page, int pageSize, @Nullable Long total, @Nullable Boolean totalEstimated,
                             @Nullable Boolean hasMore, @Nullable String next) {

        /** An exact-count page. */
        public Pagination(int page, int pageSize, long total) {
            this(page, pageSize, total, null, null, null);
        }

        /** {@code totalPages = ceil(total / pageSize)}, 0 when there are none (api.md 3.3); null without a total. */
        public @Nullable Long totalPages() {
            if (total == null) {
                return null;
            }
            return total == 0 ? 0 : (total + pageSize - 1) / pageSize;
        }
    }
}
