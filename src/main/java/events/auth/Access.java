package events.auth;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

import events.schema.Entity;

/** Who is asking and what their role grants now; {@link #OPEN} when the schema has no login service. */
public record Access(@Nullable String login, @Nullable String roleId, @Nullable Permissions permissions) {

    /** The API is open: everything is allowed. */
    public static final Access OPEN = new Access(null, null, null);

    public boolean allows(Entity entity, char operation) {
        return permissions == null || permissions.allows(entity, operation);
    }


    public Permissions grants() {
        return Objects.requireNonNullElse(permissions, Permissions.none());
    }
}
