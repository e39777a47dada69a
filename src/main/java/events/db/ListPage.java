package events.db;

import java.util.List;

/** One page of a list and the exact count of all matching documents, from one snapshot. */
public record ListPage(List<StoredDocument> documents, long total) {
    public ListPage {
        documents = List.copyOf(documents);
    }
}
