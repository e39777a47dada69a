package events.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import events.schema.Field;

/**
 * A parsed list request: everything downstream code needs, already checked against the schema.
 *
 * @param paged  whether {@code page} or {@code pageSize} was given (a stream is whole otherwise)
 * @param count  how the total is found (api.md 11.1); streams ignore it
 * @param search the {@code search} words (websearch syntax, api.md 11.3), or null
 * @param after  the keyset position to continue after (api.md 11.2), or null for {@code page}
 */
public record ListQuery(PageRequest page, boolean paged, List<SortKey> sort, List<Condition> filter,
                        List<Expansion> view, CountMode count, @Nullable String search, @Nullable Keyset after) {

    public ListQuery {
        Objects.requireNonNull(page, "page must not be null");
        Objects.requireNonNull(count, "count must not be null");
        sort = List.copyOf(sort);
        filter = List.copyOf(filter);
        view = List.copyOf(view);
        if (search != null && search.isBlank()) {
            throw new IllegalArgumentException("search must not be blank (null means none)");
        }
        if (after != null && page.number() != 1) {
            throw new IllegalArgumentException("after and a page number exclude each other");
        }
    }

    /** An exact-count list without search or keyset. */
    public ListQuery(PageRequest page, boolean paged, List<SortKey> sort, List<Condition> filter,
                     List<Expansion> view) {
        this(page, paged, sort, filter, view, CountMode.EXACT, null, null);
    }

    /** The same query with another {@code view}. */
    public ListQuery withView(List<Expansion> newView) {
        return new ListQuery(page, paged, sort, filter, newView, count, search, after);
    }

    /** A search without {@code sort} orders by relevance, best first, then by id (api.md 11.3). */
    public boolean byRelevance() {
        return search != null && sort.isEmpty();
    }

    /**
     * The sort keys as the list is really ordered: the requested keys up to {@code id} (keys after a
     * unique one cannot change the order), and {@code id} ascending appended when absent.
     */
    public List<SortKey> order() {
        List<SortKey> keys = new ArrayList<>();
        for (SortKey key : sort) {
            keys.add(key);
            if (key.field().isId()) {
                return List.copyOf(keys);
            }
        }
        keys.add(new SortKey(Field.ID, false));
        return List.copyOf(keys);
    }

    /** How many values a {@link Keyset} of this list holds: the relevance (when ordered by it) and {@link #order()}. */
    public int keyCount() {
        return order().size() + (byRelevance() ? 1 : 0);
    }
}
