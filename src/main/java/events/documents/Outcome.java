package events.documents;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;

/**
 * What the service answers: {@code data} (a document, {@code {}} or a list), the warnings, and for
 * lists the pagination.
 */
public record Outcome(JsonNode data, Notifications notifications, @Nullable Pagination pagination) {

    public Outcome {
        Objects.requireNonNull(data, "data must not be null");
        Objects.requireNonNull(notifications, "notifications must not be null");
    }

    /** {@code totalPages = ceil(total / pageSize)}, 0 when there are none (api.md 3.3). */
    public record Pagination(int page, int pageSize, long total) {
        public long totalPages() {
            return total == 0 ? 0 : (total + pageSize - 1) / pageSize;
        }
    }
}
