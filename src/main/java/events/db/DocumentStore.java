package events.db;

import java.util.Collection;
import java.util.List;
import java.util.function.Function;

import org.reactivestreams.Publisher;

import events.query.ListQuery;
import events.schema.Entity;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ObjectNode;

/**
 * Storage of schema documents, one row per document. Implementations translate driver failures into
 * {@link events.error.ApiException}s (duplicate key → 409, unreachable → 503) at their edge.
 */
public interface DocumentStore {

    /** The stored document with its version, or empty when there is none. */
    Mono<StoredDocument> find(Entity entity, String id);

    /** The documents among {@code ids} that exist, in no particular order: one query for any count. */
    Flux<StoredDocument> findMany(Entity entity, Collection<String> ids);

    /**
     * One page and its total as {@code query.count()} asks (an exact one read in the page's snapshot),
     * continuing after {@code query.after()} when set.
     */
    Mono<ListPage> list(Entity entity, ListQuery query);

    /** Every matching document in order (the page only when one was asked for), through a cursor. */
    Flux<StoredDocument> stream(Entity entity, ListQuery query);

    /**
     * Inserts a new document and returns it as stored. Its foreign keys are checked in the same
     * statement: a missing referenced document fails with a 422 naming the field.
     */
    Mono<StoredDocument> insert(Entity entity, String id, ObjectNode data);

    /**
     * Replaces a document; the stored values of {@code keep} fields survive (the body's values lose).
     * Empty when there is no document with that id; foreign keys are checked as on insert.
     */
    Mono<StoredDocument> replace(Entity entity, String id, ObjectNode data, List<String> keep);

    /** Deletes a document and returns it, or empty when there was none. */
    Mono<StoredDocument> delete(Entity entity, String id);

    /**
     * Runs {@code work} as one unit of work: one connection, one transaction, committed when the work
     * completes; rolled back when it fails or is cancelled, and only then is the connection released.
     */
    <T> Flux<T> inTransaction(Function<UnitOfWork, Publisher<T>> work);

    /**
     * As {@link #inTransaction}, for a transaction that lasts as long as an input stream does (an atomic
     * import, api.md 12.2): it holds one of the slots streams share, so such transactions together never
     * hold more than half of the pool (api.md 5.5); 503 when no slot frees up in time.
     */
    <T> Flux<T> inLongTransaction(Function<UnitOfWork, Publisher<T>> work);

    /** Counts, versions, indexes and pool state for the report. */
    Mono<DatabaseStatus> status();

    /** Drops and recreates every entity table and its indexes, in one transaction. */
    Mono<Void> reinitialize();

    /**
     * The key that signs list cursors: random, made once per database and shared by every server
     * process on it, so each accepts the others' cursors. Available once start-up has migrated.
     */
    byte[] cursorSecret();

    /** One round trip through the pool: completes when the database answers a statement. */
    Mono<Void> ping();

    /** Where reads may go (read replicas), and the write hooks of read-your-writes. */
    default ReadRouting readRouting() {
        return ReadRouting.NONE;
    }
}
