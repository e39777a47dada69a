package events.auth;

import events.db.StoredDocument;
import events.schema.Entity;
import reactor.core.publisher.Mono;

/**
 * What a write of a login principal's password does to its sessions (api.md 9.1): they all end, except
 * the one that made the change. The ending itself needs nothing from the writer, since a session is
 * live only while its principal holds the password it was made with; keeping the writer's session does.
 */
public interface PasswordChanges {

    /** Keeps no session: every session of the principal ends with the write (the command line). */
    PasswordChanges NONE = (writer, principal, id, hash, write) -> write;

    /**
     * Runs {@code write}, which stores {@code hash} as the password of document {@code id} of the
     * principal entity {@code principal}, so that the session of {@code writer} survives it when that
     * session is one of this principal's.
     */
    Mono<StoredDocument> around(Access writer, Entity principal, String id, String hash, Mono<StoredDocument> write);

    /**
     * The first half of {@link #around} for writes that run inside a larger transaction (a batch): lets
     * the writer's session also hold {@code hash} before the write.
     */
    default Mono<Void> accept(Access writer, Entity principal, String id, String hash) {
        return Mono.empty();
    }

    /** The second half of {@link #around}: after the transaction that wrote the password committed. */
    default Mono<Void> settle(Entity principal, String id) {
        return Mono.empty();
    }
}
