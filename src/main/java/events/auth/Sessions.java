package events.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

import events.config.EventsConfig;
import events.db.DocumentStore;
import events.db.SessionStore;
import events.error.ApiError;
import events.error.ApiException;
import events.query.Condition;
import events.query.ListQuery;
import events.query.PageRequest;
import events.schema.Entity;
import events.schema.Schema;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;

/**
 * Login, logout, refresh and the session check of every gated request (api.md 9). Sessions live in
 * PostgreSQL ({@link SessionStore}) and are looked up, with their role's current permissions, on each
 * request: there is no cache to go stale across processes.
 */
public final class Sessions {

    /** A bcrypt hash of a random string: unknown logins are verified against it, so they take as long. */
    private static final String DUMMY_HASH = "$2a$10$Rphf5XamJpoAeAdJgjLs5.M9wcO6M6V3S578GR8CTRjM1oUNDMdpS";
    private static final String INVALID = "Invalid credentials";

    private final Schema schema;
    private final DocumentStore documents;
    private final SessionStore store;
    private final PasswordHasher hasher;
    private final Duration idle;
    private final Duration maxAge;
    private final boolean enabled;
    private final SecureRandom random = new SecureRandom();

    public Sessions(Schema schema, DocumentStore documents, SessionStore store, PasswordHasher hasher,
                    EventsConfig.SessionSettings settings) {
        this.schema = schema;
        this.documents = documents;
        this.store = store;
        this.hasher = hasher;
        this.idle = Duration.ofSeconds(settings.ttlSeconds());
        this.maxAge = Duration.ofSeconds(settings.maxAgeSeconds());
        this.enabled = schema.entities().stream().anyMatch(e -> e.login() != null);
    }

    /** Whether the schema declares a login service; without one the API is open. */
    public boolean enabled() {
        return enabled;
    }

    public Duration maxAge() {
        return maxAge;
    }

    /** A successful login: the new session's token (for the cookie) and what the client may do. */
    public record Login(String token, Access access) {
    }

    /**
     * Checks {@code login}/{@code password} against the principal entity. Every failure is the same
     * 401 and costs the same bcrypt verification, whether or not the login exists.
     */
    public Mono<Login> login(Entity principal, JsonNode body) {
        Entity.LoginService service = principal.login();
        String login = body != null && body.path("login").isString() ? body.path("login").asString() : null;
        String password = body != null && body.path("password").isString() ? body.path("password").asString() : null;
        if (service == null || login == null || password == null || login.isEmpty() || password.isEmpty()) {
            return hasher.matches("x", DUMMY_HASH).then(Mono.error(invalid()));
        }
        Condition byLogin = new Condition(principal.field(service.loginField()).orElseThrow(), Condition.Op.EQ, login);
        ListQuery query = new ListQuery(new PageRequest(1, 2), true, List.of(), List.of(byLogin), List.of());
        return documents.list(principal, query)
                .flatMap(page -> {
                    // Exactly one match; two (case variants under case-sensitive uniqueness) is ambiguous.
                    var found = page.documents().size() == 1 ? page.documents().get(0) : null;
                    String hash = found == null ? null : text(found.data().get(service.passwordField()));
                    return hasher.matches(password, hash != null ? hash : DUMMY_HASH)
                            .flatMap(matches -> matches && found != null ? Mono.just(found) : Mono.error(invalid()));
                })
                .flatMap(found -> {
                    String roleId = roleId(principal, found.data());
                    return permissions(service.roleEntity(), roleId).flatMap(permissions -> {
                        if (permissions.isEmpty()) {
                            return Mono.error(invalid()); // a principal without a role, or a role granting nothing
                        }
                        return newToken().flatMap(token -> store.create(hash(token), new SessionStore.NewSession(
                                        principal.name(), found.id(), login, roleEntityName(service), roleId))
                                .thenReturn(new Login(token, new Access(login, roleId, permissions))));
                    });
                });
    }

    /** The live session of a token, or a 401. */
    public Mono<Access> session(@Nullable String token) {
        if (token == null || token.isEmpty()) {
            return Mono.error(new ApiException(new ApiError.Unauthorized("No session; log in first")));
        }
        return store.touch(hash(token), idle, maxAge)
                .switchIfEmpty(Mono.error(() -> new ApiException(new ApiError.Unauthorized(
                        "Session unknown or expired; log in again"))))
                .map(active -> new Access(active.login(), active.roleId(),
                        Permissions.expand(schema, active.permissions())));
    }

    /**
     * The gate of every entity route: open without a login service; otherwise a live session (401)
     * whose role grants the operation (403).
     */
    public Mono<Access> authorize(@Nullable String token, Entity entity, char operation) {
        if (!enabled) {
            return Mono.just(Access.OPEN);
        }
        return session(token).flatMap(access -> access.allows(entity, operation) ? Mono.just(access)
                : Mono.error(new ApiException(new ApiError.Forbidden("Your role may not "
                        + verb(operation) + " " + entity.name()))));
    }

    /** Ends a live session (401 when there is none). */
    public Mono<Void> logout(@Nullable String token) {
        return session(token).then(Mono.defer(() -> store.delete(hash(token)))).then();
    }

    /** Periodic clean-up of expired sessions. */
    public Mono<Long> purgeExpired() {
        return store.purgeExpired(idle, maxAge);
    }

    private Mono<Permissions> permissions(@Nullable String roleEntity, @Nullable String roleId) {
        if (roleEntity == null || roleId == null) {
            return Mono.just(Permissions.none());
        }
        Entity role = schema.entity(roleEntity).orElseThrow();
        return documents.find(role, roleId.toLowerCase(Locale.ROOT))
                .map(document -> Permissions.expand(schema, document.data().get("permissions")))
                .defaultIfEmpty(Permissions.none());
    }

    private static @Nullable String roleId(Entity principal, JsonNode data) {
        for (var field : principal.foreignKeys()) {
            if (principal.login() != null && principal.login().roleEntity() != null
                    && field.foreignKey().equalsIgnoreCase(principal.login().roleEntity())) {
                return text(data.get(field.name()));
            }
        }
        return null;
    }

    private @Nullable String roleEntityName(Entity.LoginService service) {
        return service.roleEntity() == null ? null : schema.entity(service.roleEntity()).map(Entity::name).orElse(null);
    }

    /** 32 random bytes, base64url: made off the event loop, as SecureRandom may read the OS pool. */
    private Mono<String> newToken() {
        return Mono.fromCallable(() -> {
            byte[] bytes = new byte[32];
            random.nextBytes(bytes);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        }).subscribeOn(Schedulers.boundedElastic());
    }

    /** Tokens are stored as SHA-256: a copy of the table holds no usable session. */
    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    private static @Nullable String text(@Nullable JsonNode node) {
        return node != null && node.isString() ? node.asString() : null;
    }

    private static ApiException invalid() {
        return new ApiException(new ApiError.Unauthorized(INVALID));
    }

    private static String verb(char operation) {
        return switch (operation) {
            case 'c' -> "create";
            case 'r' -> "read";
            case 'u' -> "update";
            case 'd' -> "delete";
            default -> "use";
        };
    }
}
