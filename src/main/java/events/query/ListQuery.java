package events.query;

import java.util.Objects;

/** A parsed list request: everything downstream code needs, already checked against the schema. */
public record ListQuery(PageRequest page) {
    public ListQuery {
        Objects.requireNonNull(page, "page must not be null");
    }
}
