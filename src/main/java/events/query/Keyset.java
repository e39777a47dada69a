package events.query;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The position named by {@code after=} (api.md 11.2): the sort-key values of the last row a client has
 * seen, as PostgreSQL printed them: the relevance when {@link ListQuery#byRelevance()}, then one value
 * per key of {@link ListQuery#order()}. {@code null} stands for a missing value; the last value is the
 * row's id.
 */
public record Keyset(List<@Nullable String> values) {

    public Keyset {
        if (values.isEmpty() || values.get(values.size() - 1) == null) {
            throw new IllegalArgumentException("values must end with the row's id");
        }
        values = Collections.unmodifiableList(new ArrayList<>(values)); // List.copyOf refuses nulls
    }
}
