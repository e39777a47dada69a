package events.db;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import events.query.ListQuery;
import events.schema.Entity;
import reactor.core.publisher.Mono;

/**
 * Login sessions kept in the database, so every server process sees the same ones and they survive
 * restarts. Tokens are stored only as their SHA-256 hash.
 *
 * <p>A session belongs to its principal (api.md 9.1): it records the principal's password hash as it
 * was at login (its <em>credential</em>), and it is live only while the principal document exists and
 * still holds that password. Its role is never copied: each request reads the principal's current
 * role key and that role's current permissions.
 */
public interface SessionStore {

    /** A new session for a principal. */
    Mono<Void> create(String tokenHash, NewSession session);

    /**
     * The live session of that token, its idle timer restarted (to within a tenth of the idle time),
     * with its principal's current role key and that role's current {@code permissions}, all read in
     * the same statement: a change of either applies to the next request. Empty when unknown or
     * expired, when the principal was deleted, and when its password changed since the session's
     * credential.
     */
    Mono<ActiveSession> touch(String tokenHash, Duration idle, Duration maxAge);

    /**
     * {@link #touch} and the document {@code id} of {@code entity}, read together (one round trip for
     * the commonest request, a GET of one document). The document is read whatever the session: the
     * caller must not show it unless the session allows reading {@code entity}.
     */
    Mono<SessionAndDocument> touchAndFind(String tokenHash, Duration idle, Duration maxAge, Entity entity, String id);

    /**
     * {@link #touch} and a list page of {@code entity}, read together where they can be (one round trip
     * for a list request). The page is read only for a live session, and the caller must not show it
     * unless the session allows reading {@code entity}. A null page with a live session means the page
     * was not read here (replicas serve lists, or only a count can tell the total): read it as usual.
     */
    Mono<SessionAndPage> touchAndList(String tokenHash, Duration idle, Duration maxAge, Entity entity, ListQuery query);

    /** Removes a session; true when there was one (live or not). */
    Mono<Boolean> delete(String tokenHash);

    /**
     * Lets the session {@code tokenHash}, if it is one of that principal's, also hold {@code credential}
     * (a password hash about to be written): the session making a password change survives it, with no
     * moment in between when it does not.
     */
    Mono<Void> acceptCredential(String tokenHash, String principalEntity, String principalId, String credential);

    /**
     * After a write of a principal's password: its sessions that hold the password now stored keep only
     * that one; the others (already dead to {@link #touch}) are deleted. The count deleted.
     */
    Mono<Long> settleCredentials(String principalEntity, String principalId);

    /** Removes every expired session, and those whose principal is gone or has another password; the count. */
    Mono<Long> purgeExpired(Duration idle, Duration maxAge);

    /**
     * Sessions whose idle and absolute lifetimes have not run out, whatever their principal's state: the
     * count behind the active-sessions gauge, with no per-row checks.
     */
    Mono<Long> countUnexpired(Duration idle, Duration maxAge);

    /** What a login records: {@code credential} is the password hash the login was verified against. */
    record NewSession(String principalEntity, String principalId, String login, String credential) {
    }

    /** What {@link #touchAndList} found: either may be null. */
    record SessionAndPage(@Nullable ActiveSession session, @Nullable ListPage page) {
    }

    /** What {@link #touchAndFind} found: either may be null. */
    record SessionAndDocument(@Nullable ActiveSession session, @Nullable StoredDocument document) {
    }

    /**
     * A live session, its principal's role key and the permissions that role grants now, as the role
     * stores them (JSON text; null when the role is missing): parsed by the caller, once per distinct text.
     */
    record ActiveSession(String principalEntity, String principalId, String login, @Nullable String roleId,
                         @Nullable String permissions) {
    }
}
