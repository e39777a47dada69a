package events.db;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Login sessions kept in the database, so every server process sees the same ones and they survive
 * restarts. Tokens are stored only as their SHA-256 hash.
 */
public interface SessionStore {

    /** A new session for a principal. */
    Mono<Void> create(String tokenHash, NewSession session);

    /**
     * The live session of that token, its idle timer restarted (to within a tenth of the idle time), with
     * its role's current
     * {@code permissions} (read in the same statement: a role change applies to the next request).
     * Empty when unknown or expired.
     */
    Mono<ActiveSession> touch(String tokenHash, Duration idle, Duration maxAge);

    /** Removes a session; true when there was one (live or not). */
    Mono<Boolean> delete(String tokenHash);

    /** Removes every expired session; the count removed. */
    Mono<Long> purgeExpired(Duration idle, Duration maxAge);

    /** What a login records. */
    record NewSession(String principalEntity, String principalId, String login, @Nullable String roleEntity,
                      @Nullable String roleId) {
    }

    /** A live session and the permissions its role grants now. */
    record ActiveSession(String principalEntity, String principalId, String login, @Nullable String roleId,
                         @Nullable JsonNode permissions) {
    }
}
