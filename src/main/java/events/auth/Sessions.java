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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.config.EventsConfig;
import events.db.DocumentStore;
import events.db.ListPage;
import events.db.ReadRouting;
import events.db.SessionStore;
import events.db.StoredDocument;
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
 * PostgreSQL ({@link SessionStore}) and are looked up, with their principal's current role and that
 * role's current permissions, on each request: there is no cache to go stale across processes. A
 * session belongs to its principal: it ends when the principal is deleted or its password changes
 * (except the session that made the change, {@link #around}).
 */
public final class Sessions implements PasswordChanges {

    private static final Logger log = LoggerFactory.getLogger(Sessions.class);

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
    /** Expanded permissions by the role's stored text (see {@link #permissions(String)}). */
    private final Map<String, Permissions> expanded = new ConcurrentHashMap<>();
    private static final int MAX_CACHED_PERMISSIONS = 1024;

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
        // On the primary: a replica may lag behind a password change or a new principal.
        return documents.list(principal, query)
                .contextWrite(context -> context.put(ReadRouting.PRIMARY_ONLY, Boolean.TRUE))
                .flatMap(page -> {
                    // Exactly one match; two (case variants under case-sensitive uniqueness) is ambiguous.
                    var found = page.documents().size() == 1 ? page.documents().get(0) : null;
                    String hash = found == null ? null : text(found.data().get(service.passwordField()));
                    return hasher.matches(password, hash != null ? hash : DUMMY_HASH)
                            .flatMap(matches -> matches && found != null ? Mono.just(found) : Mono.error(invalid()));
                })
                .flatMap(found -> {
                    String roleId = roleId(principal, found.data());
                    // The hash the password was verified against: the session lives while it is stored.
                    String credential = text(found.data().get(service.passwordField()));
                    return permissions(service.roleEntity(), roleId).flatMap(permissions -> {
                        if (permissions.isEmpty() || credential == null) {
                            return Mono.error(invalid()); // a principal without a role, or a role granting nothing
                        }
                        return newToken().flatMap(token -> store.create(hash(token), new SessionStore.NewSession(
                                        principal.name(), found.id(), login, credential))
                                .thenReturn(new Login(token, new Access(login, roleId, permissions,
                                        new Access.Session(hash(token), principal.name(), found.id())))));
                    });
                });
    }

    /** The live session of a token, or a 401. */
    public Mono<Access> session(@Nullable String token) {
        if (token == null || token.isEmpty()) {
            return Mono.error(new ApiException(new ApiError.Unauthorized("No session; log in first")));
        }
        String tokenHash = hash(token);
        return store.touch(tokenHash, idle, maxAge)
                .switchIfEmpty(Mono.error(Sessions::expired))
                .map(active -> access(tokenHash, active));
    }

    /**
     * {@link #caller} and the read of a GET of one document, in one statement: the live session (401)
     * and the document {@code id} (null when there is none). Whether the caller may read it is the
     * document service's gate, which answers 403 before 404.
     */
    public Mono<CallerAndDocument> callerAndFind(@Nullable String token, Entity entity, String id) {
        if (!enabled) {
            return documents.find(entity, id).map(found -> new CallerAndDocument(Access.OPEN, found))
                    .defaultIfEmpty(new CallerAndDocument(Access.OPEN, null));
        }
        if (token == null || token.isEmpty()) {
            return Mono.error(new ApiException(new ApiError.Unauthorized("No session; log in first")));
        }
        String tokenHash = hash(token);
        return store.touchAndFind(tokenHash, idle, maxAge, entity, id).flatMap(found -> found.session() == null
                ? Mono.error(expired())
                : Mono.just(new CallerAndDocument(access(tokenHash, found.session()), found.document())));
    }

    /**
     * {@link #caller} and a list page in one statement where the store can (issue 9): the live session
     * (401) and the page, or a null page for the document service to read. Whether the caller may read
     * {@code entity} is the document service's gate.
     */
    public Mono<CallerAndPage> callerAndList(@Nullable String token, Entity entity, ListQuery query) {
        if (!enabled) {
            return Mono.just(new CallerAndPage(Access.OPEN, null));
        }
        if (token == null || token.isEmpty()) {
            return Mono.error(new ApiException(new ApiError.Unauthorized("No session; log in first")));
        }
        String tokenHash = hash(token);
        return store.touchAndList(tokenHash, idle, maxAge, entity, query).flatMap(found -> found.session() == null
                ? Mono.error(expired())
                : Mono.just(new CallerAndPage(access(tokenHash, found.session()), found.page())));
    }

    /** What {@link #callerAndList} gives: who calls, and the page when it was read. */
    public record CallerAndPage(Access access, @Nullable ListPage page) {
    }

    /** What {@link #callerAndFind} gives: who calls, and the document, null when missing. */
    public record CallerAndDocument(Access access, @Nullable StoredDocument document) {
    }

    private Access access(String tokenHash, SessionStore.ActiveSession active) {
        return new Access(active.login(), active.roleId(), permissions(active.permissions()),
                new Access.Session(tokenHash, active.principalEntity(), active.principalId()));
    }

    /**
     * A role's permissions, expanded once per distinct stored text: every request reads the role's
     * current text (so a change applies at once), but few distinct texts exist. Bounded: a store of
     * many roles only refills the cache.
     */
    private Permissions permissions(@Nullable String stored) {
        if (stored == null) {
            return Permissions.expand(schema, (String) null);
        }
        Permissions cached = expanded.get(stored);
        if (cached == null) {
            if (expanded.size() >= MAX_CACHED_PERMISSIONS) {
                expanded.clear();
            }
            cached = Permissions.expand(schema, stored);
            expanded.put(stored, cached);
        }
        return cached;
    }

    private static ApiException expired() {
        return new ApiException(new ApiError.Unauthorized("Session unknown or expired; log in again"));
    }


    /**
     * Who calls an entity route: {@link Access#OPEN} without a login service; otherwise the live session
     * (401 without one). What the caller's role allows is the document service's gate.
     */
    public Mono<Access> caller(@Nullable String token) {
        return enabled ? session(token) : Mono.just(Access.OPEN);
    }

    /** Ends a live session (401 when there is none). */
    public Mono<Void> logout(@Nullable String token) {
        return session(token).then(Mono.defer(() -> store.delete(hash(token)))).then();
    }

    /**
     * A password write ends every session of the principal the moment it commits: each session holds
     * the password hash it was made with, and {@link SessionStore#touch} finds it only while the
     * principal still stores that hash. So that the writer's own session survives, it is first allowed
     * the new hash too; after the write the principal's sessions are tidied (the writer's narrowed to the
     * new hash, the dead ones deleted). A failed tidy-up changes nothing that matters and is only logged.
     */
    @Override
    public Mono<StoredDocument> around(Access writer, Entity principal, String id, String hash,
                                       Mono<StoredDocument> write) {
        Access.Session session = writer.session();
        Mono<Void> keep = session != null && writer.isSessionOf(principal, id)
                ? store.acceptCredential(session.tokenHash(), principal.name(), id, hash)
                : Mono.empty();
        return keep.then(write).flatMap(stored -> store.settleCredentials(principal.name(), id)
                .doOnNext(ended -> log.debug("A new password for {} {} ended {} session(s)", principal.name(), id, ended))
                .onErrorResume(e -> {
                    log.warn("Could not delete the ended sessions of {} {}: {}", principal.name(), id, e.toString());
                    return Mono.empty();
                })
                .thenReturn(stored));
    }

    @Override
    public Mono<Void> accept(Access writer, Entity principal, String id, String hash) {
        Access.Session session = writer.session();
        return session != null && writer.isSessionOf(principal, id)
                ? store.acceptCredential(session.tokenHash(), principal.name(), id, hash)
                : Mono.empty();
    }

    @Override
    public Mono<Void> settle(Entity principal, String id) {
        return store.settleCredentials(principal.name(), id)
                .doOnNext(ended -> log.debug("A new password for {} {} ended {} session(s)", principal.name(), id, ended))
                .onErrorResume(e -> {
                    log.warn("Could not delete the ended sessions of {} {}: {}", principal.name(), id, e.toString());
                    return Mono.empty();
                })
                .then();
    }

    /** Periodic clean-up of expired sessions, and of those whose principal is gone or has a new password. */
    public Mono<Long> purgeExpired() {
        return store.purgeExpired(idle, maxAge);
    }

    /** Sessions not yet expired, on every server process of the database (a metric, api.md 15). */
    public Mono<Long> countUnexpired() {
        return enabled ? store.countUnexpired(idle, maxAge) : Mono.just(0L);
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
        return principal.roleKey().map(field -> text(data.get(field.name()))).orElse(null);
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
}
