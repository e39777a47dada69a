package events.db;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import events.error.ApiError;

import events.schema.Entity;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ObjectNode;

/**
 * Several writes on one connection inside one transaction ({@link DocumentStore#inTransaction}): they
 * commit together when the work completes and roll back together when it fails or is cancelled.
 * Operations must run one after another (each subscribed when the previous one has finished): a
 * connection runs one statement at a time.
 */
public interface UnitOfWork {

    /**
     * The stored document with its version, its row locked until the end of the transaction
     * ({@code FOR UPDATE}): no other writer can change or delete it in between. Empty when there is none.
     */
    Mono<StoredDocument> lock(Entity entity, String id);

    /** As {@link DocumentStore#insert}, inside the transaction. */
    Mono<StoredDocument> insert(Entity entity, String id, ObjectNode data);

    /**
     * Inserts every document or none, with set-based statements: one for all foreign keys of the batch,
     * one for the rows. Fails with a 422 listing every document whose foreign key names no document
     * (keyed by {@code keys}), or with a 409 listing every document that collides with a stored one or
     * an earlier one of the batch on its id or a unique key. The documents come back in request order.
     *
     * @param keys the notification key of each document (its position, {@code "[i]"})
     */
    Mono<List<StoredDocument>> insertAll(Entity entity, List<NewDocument> documents, List<String> keys);

    /**
     * Inserts every document of {@code documents} that can be stored, with the same set-based statements
     * as {@link #insertAll}, and skips the others: a document whose foreign key names no document (422),
     * or that collides with a stored one or an earlier one of the list on its id or a unique key (409).
     * A document that names another document of the list is stored only if that one is (422 naming the
     * foreign key otherwise, along whole chains), so nothing stored names a missing document.
     * Nothing fails the call but the database itself; the transaction stays usable.
     *
     * @param keys the notification key of each document (its line, {@code "line 7"})
     */
    Mono<Inserted> insertEach(Entity entity, List<NewDocument> documents, List<String> keys);

    /** As {@link DocumentStore#replace}, inside the transaction. */
    Mono<StoredDocument> replace(Entity entity, String id, ObjectNode data, List<String> keep);

    /** As {@link DocumentStore#delete}, inside the transaction. */
    Mono<StoredDocument> delete(Entity entity, String id);

    /** A document to insert: its final id and its stored data. */
    record NewDocument(String id, ObjectNode data) {
    }

    /**
     * What {@link #insertEach} did: how many documents it stored, and why each of the others was not,
     * by position in the list given.
     */
    record Inserted(int count, SortedMap<Integer, ApiError> failures) {
        public Inserted {
            failures = Collections.unmodifiableSortedMap(new TreeMap<>(failures));
        }
    }
}
