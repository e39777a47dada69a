package events.db;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * One page of a list and what the count mode found about the rest (api.md 5.1, 11.1).
 *
 * @param total          the number of matching documents; null when not counted ({@code count=none})
 * @param totalEstimated whether {@code total} is the planner's estimate rather than a count
 * @param hasMore        whether a row follows the page (the store reads one row more than the page)
 * @param lastKeys       when {@code hasMore}: the sort-key values of the page's last row, as a
 *                       {@link events.query.Keyset} holds them, for the {@code next} cursor
 */
public record ListPage(List<StoredDocument> documents, @Nullable Long total, boolean totalEstimated, boolean hasMore,
                       @Nullable List<@Nullable String> lastKeys) {

    public ListPage {
        documents = List.copyOf(documents);
        if (lastKeys != null) {
            lastKeys = Collections.unmodifiableList(new ArrayList<>(lastKeys)); // may hold nulls (missing values)
        }
    }
}
