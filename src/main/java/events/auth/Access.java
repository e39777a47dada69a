package events.auth;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

import events.schema.Entity;

/**
 * Who is asking and what their role grants now; {@link #OPEN} when the schema has no login service.
 *
 * @param session the session that made the request, so that a write can tell its own principal apart
 *                (a password change keeps the session that made it, api.md 9.1); null when open
 */
public record Access(@Nullable String login, @Nullable String roleId, @Nullable Permissions permissions,
                     @Nullable Session session) {

    /** The API is open: everything is allowed. */
    public static final Access OPEN = new Access(null, null, null, null);

    public boolean allows(Entity entity, char operation) {
        return permissions == null || permissions.allows(entity, operation);
    }

    public Permissions grants() {
        return Objects.requireNonNullElse(permissions, Permissions.none());
    }

    /** Whether the request came with a session of document {@code id} of the principal entity {@code principal}. */
    public boolean isSessionOf(Entity principal, String id) {
        return session != null && session.principalEntity().equals(principal.name()) && session.principalId().equals(id);
    }

    /** A live session: its token's hash (never the token) and its principal. */
    public record Session(String tokenHash, String principalEntity, String principalId) {
        public Session {
            Objects.requireNonNull(tokenHash, "tokenHash must not be null");
            Objects.requireNonNull(principalEntity, "principalEntity must not be null");
            Objects.requireNonNull(principalId, "principalId must not be null");
        }
    }
}
