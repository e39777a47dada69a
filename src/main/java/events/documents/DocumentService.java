package events.documents;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import events.auth.Access;
import events.auth.PasswordChanges;
import events.auth.PasswordHasher;
import events.db.DocumentStore;
import events.db.ListPage;
import events.db.StoredDocument;
import events.error.ApiError;
import events.error.ApiException;
import events.query.CountMode;
import events.query.CursorCodec;
import events.query.Expansion;
import events.query.ListQuery;
import events.schema.DocumentValidator;
import events.schema.Entity;
import events.schema.Field;
import events.schema.FieldType;
import events.schema.Schema;
import events.schema.Values;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The document pipeline, independent of HTTP and of SQL: ids, validation, automatic fields and
 * notifications around the {@link DocumentStore}.
 */
public final class DocumentService {

    /** The notifications key of a document created without a client id (api.md 3.4). */
    public static final String NEW = "new";
    /** Documents per expansion lookup while streaming. */
    private static final int STREAM_BATCH = 500;

    private final DocumentStore store;
    private final DocumentValidator validator;
    private final PasswordHasher hasher;
    private final ReadChecks readChecks;
    private final ReferenceChecks references;
    private final Clock clock;
    private final IdGenerator ids;
    private final PasswordChanges passwordChanges;
    private final CursorCodec cursors;

    /** A service whose password writes keep no session (the command line, tests). */
    public DocumentService(Schema schema, DocumentStore store, DocumentValidator validator, PasswordHasher hasher,
                           ReadChecks readChecks, Clock clock) {
        this(schema, store, validator, hasher, readChecks, clock, PasswordChanges.NONE);
    }

    /** {@code passwordChanges} keeps the writer's session through a change of its own password (api.md 9.1). */
    public DocumentService(Schema schema, DocumentStore store, DocumentValidator validator, PasswordHasher hasher,
                           ReadChecks readChecks, Clock clock, PasswordChanges passwordChanges) {
        this.passwordChanges = Objects.requireNonNull(passwordChanges, "passwordChanges must not be null");
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.validator = Objects.requireNonNull(validator, "validator must not be null");
        this.hasher = Objects.requireNonNull(hasher, "hasher must not be null");
        this.readChecks = Objects.requireNonNull(readChecks, "readChecks must not be null");
        this.references = new ReferenceChecks(schema, store, validator);
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.ids = new IdGenerator(clock);
        this.cursors = new CursorCodec(store.cursorSecret());
    }

    /** One document, with the {@code view} expansions and, in {@code single} or {@code multiple} mode, checks. */
    public Mono<Outcome> get(Entity entity, String pathId, List<Expansion> view) {
        String id = Ids.fromPath(pathId);
        return get(entity, id, view, store.find(entity, id));
    }

    /** The id a path names (api.md 3.2: lower-cased), as {@link #get(Entity, String, List, StoredDocument)} wants it. */
    public static String idOf(String pathId) {
        return Ids.fromPath(pathId);
    }

    /**
     * {@link #get(Entity, String, List)} of a document already read (with the session check, in one
     * statement); null when there is none (404).
     */
    public Mono<Outcome> get(Entity entity, String id, List<Expansion> view, @Nullable StoredDocument found) {
        return get(entity, id, view, Mono.justOrEmpty(found));
    }

    private Mono<Outcome> get(Entity entity, String id, List<Expansion> view, Mono<StoredDocument> found) {
        boolean recheck = readChecks != ReadChecks.NONE;
        return found
                .switchIfEmpty(Mono.error(() -> notFound(entity, id)))
                .flatMap(document -> {
                    Notifications notifications = new Notifications();
                    if (!recheck && view.isEmpty()) {
                        return Mono.just(new Outcome(DocumentView.render(entity, document), notifications, null));
                    }
                    return references.render(entity, List.of(document), view, recheck, notifications)
                            .map(views -> new Outcome(views.get(0), notifications, null));
                });
    }

    /**
     * One page of a list, its total as the count mode asks, the {@code next} cursor when rows follow,
     * expansions and (in {@code multiple} mode) checks.
     */
    public Mono<Outcome> list(Entity entity, ListQuery query) {
        boolean recheck = readChecks == ReadChecks.MULTIPLE;
        return store.list(entity, query).flatMap(page -> {
            Notifications notifications = new Notifications();
            Outcome.Pagination pagination = pagination(entity, query, page);
            if (!recheck && query.view().isEmpty()) {
                var array = JsonNodeFactory.instance.arrayNode();
                page.documents().forEach(document -> array.add(DocumentView.render(entity, document)));
                return Mono.just(new Outcome(array, notifications, pagination));
            }
            return references.render(entity, page.documents(), query.view(), recheck, notifications)
                    .map(views -> new Outcome(views, notifications, pagination));
        });
    }

    /** The signer of list cursors, shared with the query parser. */
    public CursorCodec cursors() {
        return cursors;
    }

    private Outcome.Pagination pagination(Entity entity, ListQuery query, ListPage page) {
        String next = page.hasMore() && page.lastKeys() != null
                ? cursors.encode(CursorCodec.binding(entity, query), page.lastKeys()) : null;
        return new Outcome.Pagination(query.after() == null ? query.page().number() : null, query.page().size(),
                page.total(), query.count() == CountMode.ESTIMATED ? page.totalEstimated() : null,
                query.count() == CountMode.NONE ? page.hasMore() : null, next);
    }

    /**
     * Every matching document in order, for NDJSON streaming: constant memory, backpressure down to
     * the database cursor. Expansions are fetched per batch of documents; warnings have no envelope
     * to go into and are dropped.
     */
    public Flux<ObjectNode> stream(Entity entity, ListQuery query) {
        Flux<StoredDocument> documents = store.stream(entity, query);
        boolean recheck = readChecks == ReadChecks.MULTIPLE;
        if (!recheck && query.view().isEmpty()) {
            return documents.map(document -> DocumentView.render(entity, document));
        }
        return documents.buffer(STREAM_BATCH)
                .concatMap(batch -> references.render(entity, batch, query.view(), recheck, new Notifications()))
                .concatMapIterable(views -> {
                    List<ObjectNode> list = new ArrayList<>(views.size());
                    views.forEach(view -> list.add((ObjectNode) view));
                    return list;
                });
    }

    public Mono<Outcome> create(Entity entity, ObjectNode body) {
        return Mono.defer(() -> {
            List<ApiError.Entry> errors = new ArrayList<>();
            JsonNode clientId = body.get("id");
            boolean hasClientId = clientId != null && !clientId.isNull();
            String id = hasClientId && clientId.isString() ? Values.clientId(clientId.asString()).orElse(null) : null;
            if (hasClientId && id == null) {
                errors.add(DocumentValidator.badId(clientId));
            }
            String key = id != null ? id : NEW;
            DocumentValidator.Result result = validator.validate(entity, body, false);
            errors.addAll(result.errors());
            if (!errors.isEmpty()) {
                return Mono.error(new ApiException(new ApiError.ValidationFailed(key, errors)));
            }
            String documentId = id != null ? id : ids.next();
            ObjectNode data = result.data();
            for (Field field : entity.fields()) {
                if ((field.autoGenerate() || field.autoUpdate()) && !data.has(field.name())) {
                    data.put(field.name(), now(field));
                }
            }
            Notifications notifications = ignored(entity, key, result.ignored());
            return hashSecrets(entity, data)
                    .then(Mono.defer(() -> store.insert(entity, documentId, data)))
                    .onErrorMap(ApiException.class, e -> id == null ? rekey(e, NEW) : e)
                    .map(stored -> new Outcome(DocumentView.render(entity, stored), notifications, null));
        });
    }

    public Mono<Outcome> replace(Entity entity, String pathId, ObjectNode body) {
        return replace(Access.OPEN, entity, pathId, body);
    }

    /**
     * Replaces a document for {@code writer}. Writing a login principal's password ends the principal's
     * sessions, except the writer's own when it is one of them (api.md 9.1).
     */
    public Mono<Outcome> replace(Access writer, Entity entity, String pathId, ObjectNode body) {
        return Mono.defer(() -> {
            String id = Ids.fromPath(pathId);
            DocumentValidator.Result result = validator.validate(entity, body, true);
            if (!result.valid()) {
                return Mono.error(new ApiException(new ApiError.ValidationFailed(id, result.errors())));
            }
            ObjectNode data = result.data();
            List<String> keep = new ArrayList<>();
            for (Field field : entity.fields()) {
                if (field.autoGenerate()) {
                    keep.add(field.name()); // createdAt-style fields keep their stored value
                }
                if ((field.autoGenerate() || field.autoUpdate()) && !data.has(field.name())) {
                    data.put(field.name(), now(field));
                }
                if (field.secret() && !data.has(field.name())) {
                    keep.add(field.name()); // write-only: a client cannot send back what it never got
                }
            }
            Notifications notifications = ignored(entity, id, result.ignored());
            return hashSecrets(entity, data)
                    .then(Mono.defer(() -> {
                        Mono<StoredDocument> write = store.replace(entity, id, data, keep);
                        String password = newPassword(entity, data);
                        return password == null ? write : passwordChanges.around(writer, entity, id, password, write);
                    }))
                    .map(stored -> new Outcome(DocumentView.render(entity, stored), notifications, null))
                    .switchIfEmpty(Mono.error(() -> notFound(entity, id)));
        });
    }

    public Mono<Outcome> delete(Entity entity, String pathId) {
        String id = Ids.fromPath(pathId);
        return store.delete(entity, id)
                .map(document -> (JsonNode) DocumentView.render(entity, document))
                .defaultIfEmpty(JsonNodeFactory.instance.objectNode())
                .map(data -> new Outcome(data, new Notifications(), null));
    }

    /** The new password hash a write of a login principal carries; null when it keeps the stored one. */
    private static @Nullable String newPassword(Entity entity, ObjectNode data) {
        if (entity.login() == null) {
            return null;
        }
        JsonNode password = data.get(entity.login().passwordField());
        return password != null && password.isString() ? password.asString() : null;
    }

    /** Replaces each secret to be hashed by its bcrypt hash, off the event loop. */
    private Mono<Void> hashSecrets(Entity entity, ObjectNode data) {
        return Flux.fromIterable(entity.fields())
                .filter(field -> field.hashed() && data.hasNonNull(field.name()))
                .concatMap(field -> hasher.hash(data.get(field.name()).asString())
                        .doOnNext(hash -> data.put(field.name(), hash)))
                .then();
    }

    private String now(Field field) {
        return field.type() == FieldType.DATE ? Values.today(clock) : Values.now(clock);
    }

    private static Notifications ignored(Entity entity, String key, List<String> fields) {
        Notifications notifications = new Notifications();
        for (String field : fields) {
            String shown = field.length() > 40 ? field.substring(0, 40) + "..." : field;
            notifications.warn(key, new Notifications.Warning("ignored",
                    "Field '" + shown + "' is not in the schema and was ignored", entity.name(), key, field));
        }
        return notifications;
    }

    private static ApiException notFound(Entity entity, String id) {
        String shown = id.length() > 60 ? id.substring(0, 60) + "..." : id;
        return new ApiException(new ApiError.NotFound(id, entity.name() + " " + shown + " does not exist"));
    }

    /** A per-document error of a create without client id belongs under {@code new}. */
    private static Throwable rekey(ApiException e, String key) {
        if (e.error() instanceof ApiError.DuplicateKey d) {
            return new ApiException(new ApiError.DuplicateKey(key, d.field(), d.message(), d.value()));
        }
        if (e.error() instanceof ApiError.ValidationFailed v) {
            return new ApiException(new ApiError.ValidationFailed(key, v.entries()));
        }
        return e;
    }
}
