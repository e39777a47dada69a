package events.query;

import java.util.List;
import java.util.Objects;

/**
 * A parsed list request: everything downstream code needs, already checked against the schema.
 *
 * @param paged whether {@code page} or {@code pageSize} was given (a stream is whole otherwise)
 */
public record ListQuery(PageRequest page, boolean paged, List<SortKey> sort, List<Condition> filter,
                        List<Expansion> view) {

    public ListQuery {
        Objects.requireNonNull(page, "page must not be null");
        sort = List.copyOf(sort);
        filter = List.copyOf(filter);
        view = List.copyOf(view);
    }
}
