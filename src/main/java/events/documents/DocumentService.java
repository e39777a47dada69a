package events.documents;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;

import org.jspecify.annotations.Nullable;

import events.auth.Access;
import events.auth.PasswordChanges;
import events.auth.PasswordHasher;
import events.db.DocumentStore;
import events.db.ListPage;
import events.db.StoredDocument;
import events.db.UnitOfWork;
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
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The document pipeline, independent of HTTP and of SQL: ids, validation, automatic fields and
 * notifications around the {@link DocumentStore}.
 */
public final class DocumentService {

    /** The notifications key of a document created without a client id (api.md 3.4). */
    public static final String NEW = "new";
    /** The most documents one bulk create may hold (api.md 12.1). */
    public static final int MAX_BULK = 1000;
    /** Secrets hashed at once for a bulk create: bcrypt is CPU-bound, so about one per core. */
    private static final int HASH_CONCURRENCY = Math.max(1, Runtime.getRuntime().availableProcessors());
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
    private final DocumentTexts texts;

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
        this.texts = new DocumentTexts(schema);
    }

    /** One document, as {@link #get(Access, Entity, String, List)} for an open API (tests, the command line). */
    public Mono<Outcome> get(Entity entity, String pathId, List<Expansion> view) {
        return get(Access.OPEN, entity, pathId, view);
    }

    /**
     * One document for {@code caller} (403 without {@code r}), with the {@code view} expansions (of the
     * entities the caller may read; others keep only {@code exists}) and, in {@code single} or
     * {@code multiple} mode, checks. Its version is the answer's entity tag.
     */
    public Mono<Outcome> get(Access caller, Entity entity, String pathId, List<Expansion> view) {
        String id = Ids.fromPath(pathId);
        return permit(caller, entity, 'r').then(get(caller, entity, id, view, store.find(entity, id)));
    }

    /** The id a path names (api.md 3.2: lower-cased), as {@link #get(Access, Entity, String, List, StoredDocument)} wants it. */
    public static String idOf(String pathId) {
        return Ids.fromPath(pathId);
    }

    /**
     * {@link #get(Access, Entity, String, List)} of a document already read (with the session check, in
     * one statement: {@code Sessions.callerAndFind}); null when there is none. The errors keep api.md
     * 3.5's order: 403 before 404.
     */
    public Mono<Outcome> get(Access caller, Entity entity, String id, List<Expansion> view,
                             @Nullable StoredDocument found) {
        return permit(caller, entity, 'r').then(get(caller, entity, id, view, Mono.justOrEmpty(found)));
    }

    private Mono<Outcome> get(Access caller, Entity entity, String id, List<Expansion> view,
                              Mono<StoredDocument> found) {
        boolean recheck = readChecks != ReadChecks.NONE;
        List<Expansion> visible = readable(view, caller);
        return found
                .switchIfEmpty(Mono.error(() -> notFound(entity, id)))
                .flatMap(document -> {
                    Notifications notifications = new Notifications();
                    String etag = EntityTags.etag(document.version());
                    if (!recheck && visible.isEmpty()) {
                        return Mono.just(new Outcome(view(entity, document), notifications, null, etag));
                    }
                    return references.render(entity, List.of(document), visible, recheck, notifications)
                            .map(views -> new Outcome(views.get(0), notifications, null, etag));
                });
    }

    /** A list page, as {@link #list(Access, Entity, ListQuery)} for an open API. */
    public Mono<Outcome> list(Entity entity, ListQuery query) {
        return list(Access.OPEN, entity, query);
    }

    /**
     * One page of a list for {@code caller} (403 without {@code r}), its total as the count mode asks,
     * the {@code next} cursor when rows follow, expansions and (in {@code multiple} mode) checks.
     */
    public Mono<Outcome> list(Access caller, Entity entity, ListQuery listQuery) {
        return list(caller, entity, listQuery, null);
    }

    /**
     * {@link #list(Access, Entity, ListQuery)} of a page already read (with the session check, in one
     * statement: {@code Sessions.callerAndList}), or read now when {@code read} is null.
     */
    public Mono<Outcome> list(Access caller, Entity entity, ListQuery listQuery, @Nullable ListPage read) {
        boolean recheck = readChecks == ReadChecks.MULTIPLE;
        ListQuery query = listQuery.withView(readable(listQuery.view(), caller));
        Mono<ListPage> pageRead = read != null ? Mono.just(read) : store.list(entity, query);
        return permit(caller, entity, 'r').then(pageRead).flatMap(page -> {
            Notifications notifications = new Notifications();
            Outcome.Pagination pagination = pagination(entity, query, page);
            if (!recheck && query.view().isEmpty()) {
                var array = JsonNodeFactory.instance.arrayNode();
                page.documents().forEach(document -> array.add(view(entity, document)));
                return Mono.just(new Outcome(array, notifications, pagination));
            }
            return references.render(entity, page.documents(), query.view(), recheck, notifications)
                    .map(views -> new Outcome(views, notifications, pagination));
        });
    }

    /** An expansion of an entity the role may not read keeps only {@code exists} (api.md 5.4). */
    private static List<Expansion> readable(List<Expansion> view, Access caller) {
        return view.stream()
                .map(e -> caller.allows(e.target(), 'r') ? e : new Expansion(e.target(), List.of()))
                .toList();
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
     * Every matching document in order for {@code caller} (403 without {@code r}, before the first
     * line), for NDJSON streaming: constant memory, backpressure down to the database cursor.
     * Expansions are fetched per batch of documents; warnings have no envelope to go into and are dropped.
     */
    public Mono<Flux<JsonNode>> stream(Access caller, Entity entity, ListQuery query) {
        return permit(caller, entity, 'r').thenReturn(stream(entity, query.withView(readable(query.view(), caller))));
    }

    /** Every matching document in order, for an open API (see {@link #stream(Access, Entity, ListQuery)}). */
    public Flux<JsonNode> stream(Entity entity, ListQuery query) {
        Flux<StoredDocument> documents = store.stream(entity, query);
        boolean recheck = readChecks == ReadChecks.MULTIPLE;
        if (!recheck && query.view().isEmpty()) {
            return documents.map(document -> view(entity, document));
        }
        return documents.buffer(STREAM_BATCH)
                .concatMap(batch -> references.render(entity, batch, query.view(), recheck, new Notifications()))
                .concatMapIterable(views -> views);
    }

    // ---------------------------------------------------------------- the gate

    /**
     * The one permission gate of every document operation, single routes and batch operations alike:
     * 403 unless the caller's role grants {@code operation} ({@code c r u d}) on the entity (api.md 9.2).
     */
    static Mono<Void> permit(Access caller, Entity entity, char operation) {
        return Mono.defer(() -> caller.allows(entity, operation) ? Mono.<Void>empty()
                : Mono.error(new ApiException(new ApiError.Forbidden("Your role may not " + verb(operation) + " "
                        + entity.name()))));
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

    // ---------------------------------------------------------------- create

    /** Creates one document for an open API (the command line, the first administrator, tests). */
    public Mono<Outcome> create(Entity entity, ObjectNode body) {
        return createOne(entity, body);
    }

    /**
     * POST for {@code caller} (403 without {@code c}; the body is read only after the gate): an object
     * creates one document, an array of 1-{@value #MAX_BULK} objects creates them all or none (api.md
     * 12.1); anything else is a 400.
     */
    public Mono<Outcome> create(Access caller, Entity entity, Mono<JsonNode> body) {
        return permit(caller, entity, 'c').then(body).flatMap(node -> {
            if (node.isObject()) {
                return createOne(entity, (ObjectNode) node);
            }
            if (node.isArray()) {
                return createAll(entity, (ArrayNode) node);
            }
            return Mono.error(badRequest("Request body must be a JSON object or an array of objects"));
        });
    }

    private Mono<Outcome> createOne(Entity entity, ObjectNode body) {
        return Mono.defer(() -> {
            NewDocument prepared = prepareNew(entity, body);
            if (!prepared.errors().isEmpty()) {
                return Mono.error(new ApiException(new ApiError.ValidationFailed(prepared.key(), prepared.errors())));
            }
            Notifications notifications = ignored(entity, prepared.key(), prepared.ignored());
            return hashSecrets(entity, prepared.data())
                    .then(Mono.defer(() -> store.insert(entity, prepared.id(), prepared.data())))
                    .onErrorMap(ApiException.class, e -> prepared.clientId() ? e : rekey(e, NEW))
                    .map(stored -> written(entity, stored, notifications));
        });
    }

    /**
     * Bulk create: every document validated as a single create (all failures of all documents at once,
     * keyed {@code "[i]"}), secrets hashed, then one unit of work with one statement for the foreign
     * keys and one for the rows ({@link UnitOfWork#insertAll}).
     */
    private Mono<Outcome> createAll(Entity entity, ArrayNode array) {
        return Mono.defer(() -> {
            if (array.isEmpty()) {
                return Mono.error(badRequest("The array of documents to create is empty"));
            }
            if (array.size() > MAX_BULK) {
                return Mono.error(badRequest("At most " + MAX_BULK + " documents per request, not " + array.size()));
            }
            for (int i = 0; i < array.size(); i++) {
                if (!array.get(i).isObject()) {
                    return Mono.error(badRequest("Element [" + i + "] of the array is not a JSON object"));
                }
            }
            List<NewDocument> prepared = new ArrayList<>(array.size());
            List<String> keys = new ArrayList<>(array.size());
            List<ApiError> failures = new ArrayList<>();
            Notifications notifications = new Notifications();
            for (int i = 0; i < array.size(); i++) {
                String key = position(i);
                NewDocument document = prepareNew(entity, (ObjectNode) array.get(i));
                if (!document.errors().isEmpty()) {
                    failures.add(new ApiError.ValidationFailed(key, document.errors()));
                }
                ignored(entity, key, document.ignored(), notifications);
                prepared.add(document);
                keys.add(key);
            }
            if (!failures.isEmpty()) {
                return Mono.error(new ApiException(new ApiError.Several(failures)));
            }
            List<UnitOfWork.NewDocument> rows = prepared.stream()
                    .map(document -> new UnitOfWork.NewDocument(document.id(), document.data())).toList();
            return Flux.fromIterable(prepared)
                    .flatMap(document -> hashSecrets(entity, document.data()), HASH_CONCURRENCY)
                    .then(store.inTransaction(uow -> uow.insertAll(entity, rows, keys)).singleOrEmpty())
                    .map(stored -> {
                        ArrayNode data = JsonNodeFactory.instance.arrayNode(stored.size());
                        stored.forEach(document -> data.add(view(entity, document)));
                        return new Outcome(data, notifications, null);
                    });
        });
    }

    /** A create body checked and completed: final id, notification key, stored data, failures, ignored keys. */
    record NewDocument(String id, String key, boolean clientId, ObjectNode data, List<ApiError.Entry> errors,
                       List<String> ignored) {
    }

    /** Validation, the id (the client's, or a new ULID) and the automatic fields of a document to create. */
    private NewDocument prepareNew(Entity entity, ObjectNode body) {
        return prepareNew(entity, body, Set.of());
    }

    /**
     * As {@link #prepareNew(Entity, ObjectNode)}; the secret fields named in {@code preHashed} hold hashes
     * made elsewhere (an import from another system, api.md 12.2): kept as they are, and not held to the
     * rules of the password they stand for (its lengths and pattern).
     */
    NewDocument prepareNew(Entity entity, ObjectNode body, Set<String> preHashed) {
        List<ApiError.Entry> errors = new ArrayList<>();
        JsonNode clientId = body.get("id");
        boolean hasClientId = clientId != null && !clientId.isNull();
        String id = hasClientId && clientId.isString() ? Values.clientId(clientId.asString()).orElse(null) : null;
        if (hasClientId && id == null) {
            errors.add(DocumentValidator.badId(clientId));
        }
        String key = id != null ? id : NEW;
        DocumentValidator.Result result = validator.validate(entity, body, false);
        ObjectNode data = result.data();
        if (preHashed.isEmpty()) {
            errors.addAll(result.errors());
        } else {
            result.errors().stream().filter(e -> !preHashed.contains(e.field())).forEach(errors::add);
            preHashed.forEach(field -> data.set(field, body.get(field)));
        }
        if (errors.isEmpty()) {
            for (Field field : entity.fields()) {
                if ((field.autoGenerate() || field.autoUpdate()) && !data.has(field.name())) {
                    data.put(field.name(), now(field));
                }
            }
        }
        return new NewDocument(id != null ? id : ids.next(), key, id != null, data, errors, result.ignored());
    }

    // ---------------------------------------------------------------- replace

    public Mono<Outcome> replace(Entity entity, String pathId, ObjectNode body) {
        return replace(Access.OPEN, entity, pathId, Mono.just(body), null);
    }

    /** PUT without preconditions (see {@link #replace(Access, Entity, String, Mono, EntityTags)}). */
    public Mono<Outcome> replace(Access writer, Entity entity, String pathId, ObjectNode body) {
        return replace(writer, entity, pathId, Mono.just(body), null);
    }

    /**
     * PUT for {@code caller} (403 without {@code u}), in the order of api.md 13: validation (422); with
     * {@code If-Match}, the row locked and its version compared (404, 412) in the transaction of the
     * write; then foreign keys (422) and unique keys (409), checked by the write. Without
     * {@code If-Match} the write is one statement. Writing a login principal's password ends the
     * principal's sessions, except the writer's own when it is one of them (api.md 9.1).
     */
    public Mono<Outcome> replace(Access caller, Entity entity, String pathId, Mono<ObjectNode> body,
                                 @Nullable EntityTags ifMatch) {
        String id = Ids.fromPath(pathId);
        return permit(caller, entity, 'u').then(body).flatMap(object -> {
            Replacement replacement = replacement(entity, id, object);
            Notifications notifications = ignored(entity, id, replacement.ignored());
            return hashSecrets(entity, replacement.data())
                    .then(Mono.defer(() -> {
                        Mono<StoredDocument> write = ifMatch == null
                                ? store.replace(entity, id, replacement.data(), replacement.keep())
                                : store.inTransaction(uow -> replaceIn(uow, entity, id, replacement, ifMatch)).singleOrEmpty();
                        return withPasswordChange(caller, entity, id, replacement.data(), write);
                    }))
                    .switchIfEmpty(Mono.error(() -> notFound(entity, id)))
                    .map(stored -> written(entity, stored, notifications));
        });
    }

    /** The data a replace writes and the stored fields it keeps ({@code autoGenerate}, omitted secrets). */
    private record Replacement(ObjectNode data, List<String> keep, List<String> ignored) {
    }

    /** Validates a PUT body (422 with every failure) and completes it. */
    private Replacement replacement(Entity entity, String id, ObjectNode body) {
        DocumentValidator.Result result = validator.validate(entity, body, true);
        if (!result.valid()) {
            throw new ApiException(new ApiError.ValidationFailed(id, result.errors()));
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
        return new Replacement(data, keep, result.ignored());
    }

    private static Mono<StoredDocument> replaceIn(UnitOfWork uow, Entity entity, String id, Replacement replacement,
                                                  @Nullable EntityTags ifMatch) {
        Mono<StoredDocument> write = Mono.defer(() -> uow.replace(entity, id, replacement.data(), replacement.keep()))
                .switchIfEmpty(Mono.error(() -> notFound(entity, id)));
        return ifMatch == null ? write : locked(uow, entity, id, ifMatch, true).then(write);
    }

    // ---------------------------------------------------------------- patch

    /**
     * PATCH with a JSON merge patch (RFC 7396, api.md 13) for {@code caller} (403 without {@code u}):
     * the patch's own members are checked first (422); then, in one transaction holding the row lock,
     * the document is read (404), its version compared with {@code If-Match} (412), the patch merged
     * ({@code null} removes, JSON fields merge recursively, absent members and secrets are kept), the
     * result validated as a PUT (422, every failure), {@code autoUpdate} fields set to now, and written
     * with its foreign keys (422) and unique keys (409) checked. Concurrent patches of one document
     * queue on the lock, so each sees the one before it.
     */
    public Mono<Outcome> patch(Access caller, Entity entity, String pathId, Mono<ObjectNode> body,
                               @Nullable EntityTags ifMatch) {
        String id = Ids.fromPath(pathId);
        return permit(caller, entity, 'u').then(body).flatMap(patch -> {
            Patch checked = checkPatch(entity, id, patch);
            Notifications notifications = ignored(entity, id, checked.ignored());
            return hashSecrets(entity, checked.secrets())
                    .then(Mono.defer(() -> withPasswordChange(caller, entity, id, checked.secrets(),
                            store.inTransaction(uow -> patchIn(uow, entity, id, checked, ifMatch)).singleOrEmpty())))
                    .switchIfEmpty(Mono.error(() -> notFound(entity, id)))
                    .map(stored -> written(entity, stored, notifications));
        });
    }

    /** A merge patch whose own members passed their checks; {@code secrets} the secret values it sets. */
    private record Patch(ObjectNode members, ObjectNode secrets, List<String> ignored) {
    }

    private Patch checkPatch(Entity entity, String id, ObjectNode patch) {
        DocumentValidator.Result checked = validator.validatePatch(entity, patch);
        if (!checked.valid()) {
            throw new ApiException(new ApiError.ValidationFailed(id, checked.errors()));
        }
        ObjectNode secrets = JsonNodeFactory.instance.objectNode();
        for (Field field : entity.fields()) {
            if (field.secret() && checked.data().has(field.name())) {
                secrets.set(field.name(), checked.data().get(field.name()));
            }
        }
        return new Patch(patch, secrets, checked.ignored());
    }

    private Mono<StoredDocument> patchIn(UnitOfWork uow, Entity entity, String id, Patch patch,
                                         @Nullable EntityTags ifMatch) {
        return locked(uow, entity, id, ifMatch, true).flatMap(stored -> {
            Replacement merged = merged(entity, id, stored, patch);
            return uow.replace(entity, id, merged.data(), merged.keep())
                    .switchIfEmpty(Mono.error(() -> notFound(entity, id)));
        });
    }

    /** The stored document with the patch applied, validated as a PUT body and completed. */
    private Replacement merged(Entity entity, String id, StoredDocument stored, Patch patch) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ObjectNode members = patch.members();
        for (Field field : entity.fields()) {
            if (field.secret()) {
                continue; // never re-validated as if sent: the stored value is a hash
            }
            JsonNode current = stored.data().get(field.name());
            JsonNode change = members.get(field.name());
            JsonNode value = change == null ? current
                    : change.isNull() ? null
                    : field.type() == FieldType.JSON_OBJECT || field.type() == FieldType.JSON_ANY ? mergePatch(current, change)
                    : change;
            if (value != null && !value.isNull()) {
                body.set(field.name(), value);
            }
        }
        DocumentValidator.Result result = validator.validate(entity, body, true);
        if (!result.valid()) {
            throw new ApiException(new ApiError.ValidationFailed(id, result.errors()));
        }
        ObjectNode data = result.data();
        List<String> keep = new ArrayList<>();
        for (Field field : entity.fields()) {
            String name = field.name();
            if (field.autoGenerate()) {
                keep.add(name);
            }
            if (field.autoUpdate() && !members.hasNonNull(name)) {
                data.put(name, now(field));
            } else if (field.autoGenerate() && !data.has(name)) {
                data.put(name, now(field));
            }
            if (field.secret()) {
                if (patch.secrets().has(name)) {
                    data.set(name, patch.secrets().get(name));
                } else if (!members.has(name)) {
                    keep.add(name); // absent: kept; null: removed
                }
            }
        }
        return new Replacement(data, keep, List.of());
    }

    /** RFC 7396 MergePatch(target, patch). */
    static JsonNode mergePatch(@Nullable JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch;
        }
        ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy()
                : JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> member : patch.properties()) {
            if (member.getValue().isNull()) {
                result.remove(member.getKey());
            } else {
                result.set(member.getKey(), mergePatch(result.get(member.getKey()), member.getValue()));
            }
        }
        return result;
    }

    // ---------------------------------------------------------------- delete

    public Mono<Outcome> delete(Entity entity, String pathId) {
        return delete(Access.OPEN, entity, pathId, null);
    }

    /**
     * DELETE for {@code caller} (403 without {@code d}): the deleted document, or {@code {}} when there
     * was none. With {@code If-Match} the row is locked and its version compared first, in the same
     * transaction; a missing document then is a 412 (api.md 13).
     */
    public Mono<Outcome> delete(Access caller, Entity entity, String pathId, @Nullable EntityTags ifMatch) {
        String id = Ids.fromPath(pathId);
        Mono<StoredDocument> delete = ifMatch == null ? store.delete(entity, id)
                : store.inTransaction(uow -> deleteIn(uow, entity, id, ifMatch)).singleOrEmpty();
        return permit(caller, entity, 'd').then(delete)
                .map(stored -> written(entity, stored, new Notifications()))
                .defaultIfEmpty(new Outcome(JsonNodeFactory.instance.objectNode(), new Notifications(), null));
    }

    private static Mono<StoredDocument> deleteIn(UnitOfWork uow, Entity entity, String id, @Nullable EntityTags ifMatch) {
        Mono<StoredDocument> delete = Mono.defer(() -> uow.delete(entity, id));
        return ifMatch == null ? delete : locked(uow, entity, id, ifMatch, false).then(delete);
    }

    /**
     * The stored document, its row locked to the end of the transaction; when missing a 404 (PUT, PATCH)
     * or, for a DELETE with {@code If-Match}, a 412; a 412 when {@code If-Match} names another version.
     */
    private static Mono<StoredDocument> locked(UnitOfWork uow, Entity entity, String id, @Nullable EntityTags ifMatch,
                                               boolean missingIsNotFound) {
        return Mono.defer(() -> uow.lock(entity, id))
                .switchIfEmpty(Mono.error(() -> missingIsNotFound || ifMatch == null ? notFound(entity, id)
                        : preconditionFailed(id, entity.name() + " " + shorten(id) + " does not exist")))
                .flatMap(stored -> ifMatch == null || ifMatch.matches(stored.version()) ? Mono.just(stored)
                        : Mono.error(preconditionFailed(id, entity.name() + " " + shorten(id) + " is at version "
                                + EntityTags.etag(stored.version()) + ", not the one If-Match names")));
    }

    // ---------------------------------------------------------------- batch

    /**
     * An atomic batch (api.md 14): the operations run in order in one unit of work, each checked like
     * its single route (the gate, validation, If-Match, keys), later ones reading earlier results
     * through {@code "$ref.field"}. All succeed (200, one {@code {status, data}} per operation) or
     * nothing is stored: the first failure rolls everything back and answers with its status under its
     * position {@code "[i]"}.
     */
    public Mono<Outcome> batch(Access caller, Mono<List<BatchOperation>> operations) {
        return operations.flatMap(list -> {
            BatchRun run = new BatchRun(caller, list);
            return store.inTransaction(uow -> Flux.range(0, list.size())
                            .concatMap(i -> run.operation(uow, i).onErrorMap(e -> atPosition(e, i))))
                    .collectList()
                    .flatMap(items -> run.settlePasswords().thenReturn(items))
                    .map(items -> {
                        ArrayNode data = JsonNodeFactory.instance.arrayNode(items.size());
                        items.forEach(data::add);
                        return new Outcome(data, run.notifications, null);
                    });
        });
    }

    /** A request-level failure stays as it is; an operation's own goes under its position. */
    private static Throwable atPosition(Throwable failure, int index) {
        if (failure instanceof ApiException api && !(api.error() instanceof ApiError.Unavailable)
                && !(api.error() instanceof ApiError.Internal) && !(api.error() instanceof ApiError.Keyed)) {
            return new ApiException(new ApiError.Keyed(position(index), api.error()));
        }
        return failure;
    }

    /** The state of one batch while it runs: its results by ref, its warnings, its password writes. */
    private final class BatchRun {

        private final Access caller;
        private final List<BatchOperation> operations;
        private final Map<String, JsonNode> results = new HashMap<>();
        private final Notifications notifications = new Notifications();
        private final List<Map.Entry<Entity, String>> passwords = new ArrayList<>();

        BatchRun(Access caller, List<BatchOperation> operations) {
            this.caller = caller;
            this.operations = operations;
        }

        Mono<ObjectNode> operation(UnitOfWork uow, int index) {
            BatchOperation operation = operations.get(index);
            Entity entity = operation.entity();
            String key = position(index);
            return permit(caller, entity, operation.method().operation())
                    .then(Mono.defer(() -> {
                        ObjectNode body = operation.body() == null ? null : (ObjectNode) resolve(operation.body());
                        String id = operation.id() == null ? null : Ids.fromPath(idText(resolve(operation.id())));
                        switch (operation.method()) {
                            case POST:
                                return post(uow, entity, body, key);
                            case PUT:
                                return put(uow, entity, id, body, operation.ifMatch(), key);
                            case PATCH:
                                return patch(uow, entity, id, body, operation.ifMatch(), key);
                            default:
                                return deleteIn(uow, entity, id, operation.ifMatch())
                                        .map(stored -> result(200, entity, stored))
                                        .defaultIfEmpty(JsonNodeFactory.instance.objectNode().put("status", 200)
                                                .set("data", JsonNodeFactory.instance.objectNode()));
                        }
                    }))
                    .doOnNext(result -> {
                        if (operation.ref() != null) {
                            results.put(operation.ref(), result.get("data"));
                        }
                    });
        }

        private Mono<ObjectNode> post(UnitOfWork uow, Entity entity, ObjectNode body, String key) {
            NewDocument prepared = prepareNew(entity, body);
            if (!prepared.errors().isEmpty()) {
                return Mono.error(new ApiException(new ApiError.ValidationFailed(prepared.key(), prepared.errors())));
            }
            ignored(entity, key, prepared.ignored(), notifications);
            return hashSecrets(entity, prepared.data())
                    .then(Mono.defer(() -> uow.insert(entity, prepared.id(), prepared.data())))
                    .map(stored -> result(201, entity, stored));
        }

        private Mono<ObjectNode> put(UnitOfWork uow, Entity entity, String id, ObjectNode body,
                                     @Nullable EntityTags ifMatch, String key) {
            Replacement replacement = replacement(entity, id, body);
            ignored(entity, key, replacement.ignored(), notifications);
            return hashSecrets(entity, replacement.data())
                    .then(acceptPassword(entity, id, replacement.data()))
                    .then(replaceIn(uow, entity, id, replacement, ifMatch))
                    .map(stored -> result(200, entity, stored));
        }

        private Mono<ObjectNode> patch(UnitOfWork uow, Entity entity, String id, ObjectNode body,
                                       @Nullable EntityTags ifMatch, String key) {
            Patch checked = checkPatch(entity, id, body);
            ignored(entity, key, checked.ignored(), notifications);
            return hashSecrets(entity, checked.secrets())
                    .then(acceptPassword(entity, id, checked.secrets()))
                    .then(patchIn(uow, entity, id, checked, ifMatch))
                    .map(stored -> result(200, entity, stored));
        }

        /** The writer's session survives a change of its own password made by the batch (api.md 9.1). */
        private Mono<Void> acceptPassword(Entity entity, String id, ObjectNode data) {
            String password = newPassword(entity, data);
            if (password == null) {
                return Mono.empty();
            }
            passwords.add(Map.entry(entity, id));
            return passwordChanges.accept(caller, entity, id, password);
        }

        /** After the commit: the sessions of principals whose password the batch changed end. */
        Mono<Void> settlePasswords() {
            return Flux.fromIterable(passwords).concatMap(p -> passwordChanges.settle(p.getKey(), p.getValue())).then();
        }

        /** A copy of {@code node} with every {@code "$ref.field"} string replaced by that field of the result. */
        private JsonNode resolve(JsonNode node) {
            if (node.isString()) {
                Matcher reference = BatchOperation.REFERENCE.matcher(node.asString());
                if (!reference.matches()) {
                    return node;
                }
                JsonNode result = results.get(reference.group(1));
                if (result == null) {
                    throw new ApiException(badRequestError("Unknown ref '" + shorten(reference.group(1)) + "'"));
                }
                JsonNode value = result.get(reference.group(2));
                if (value == null || value.isNull()) {
                    throw new ApiException(badRequestError("The result of ref '" + shorten(reference.group(1))
                            + "' has no field '" + shorten(reference.group(2)) + "'"));
                }
                return value;
            }
            if (node.isObject()) {
                ObjectNode copy = JsonNodeFactory.instance.objectNode();
                node.properties().forEach(member -> copy.set(member.getKey(), resolve(member.getValue())));
                return copy;
            }
            if (node.isArray()) {
                ArrayNode copy = JsonNodeFactory.instance.arrayNode(node.size());
                node.values().forEach(element -> copy.add(resolve(element)));
                return copy;
            }
            return node;
        }

        private String idText(JsonNode id) {
            if (!id.isString() || id.asString().isEmpty()) {
                throw new ApiException(badRequestError("id must be a non-empty string"));
            }
            return id.asString();
        }

        private ObjectNode result(int status, Entity entity, StoredDocument stored) {
            ObjectNode result = JsonNodeFactory.instance.objectNode();
            result.put("status", status);
            result.put("etag", EntityTags.etag(stored.version()));
            result.set("data", DocumentView.render(entity, stored));
            return result;
        }
    }

    // ---------------------------------------------------------------- shared

    /** A single stored document as answered: its view, warnings and version (the entity tag). */
    private Outcome written(Entity entity, StoredDocument stored, Notifications notifications) {
        return new Outcome(view(entity, stored), notifications, null, EntityTags.etag(stored.version()));
    }

    /**
     * A document as answered ({@link DocumentView}): written from its stored text when it was read as text
     * and nothing has parsed it since, else from its tree.
     */
    private JsonNode view(Entity entity, StoredDocument document) {
        byte[] text = document.unparsedText();
        if (text != null) {
            RenderedJson rendered = texts.render(entity, document.id(), text);
            if (rendered != null) {
                return rendered.asNode();
            }
        }
        return DocumentView.render(entity, document);
    }

    /** Runs {@code write} so that a new password of a login principal ends its other sessions (api.md 9.1). */
    private Mono<StoredDocument> withPasswordChange(Access writer, Entity entity, String id, ObjectNode data,
                                                    Mono<StoredDocument> write) {
        String password = newPassword(entity, data);
        return password == null ? write : passwordChanges.around(writer, entity, id, password, write);
    }

    private static String position(int index) {
        return "[" + index + "]";
    }

    private static ApiException badRequest(String message) {
        return new ApiException(badRequestError(message));
    }

    private static ApiError badRequestError(String message) {
        return new ApiError.BadRequest(message, null);
    }

    private static ApiException preconditionFailed(String id, String message) {
        return new ApiException(new ApiError.PreconditionFailed(id, message.length() > 100
                ? message.substring(0, 97) + "..." : message));
    }

    private static String shorten(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
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
        return hashSecrets(entity, data, Set.of());
    }

    /** As {@link #hashSecrets(Entity, ObjectNode)}, leaving the fields of {@code preHashed} as they are. */
    Mono<Void> hashSecrets(Entity entity, ObjectNode data, Set<String> preHashed) {
        return Flux.fromIterable(entity.fields())
                .filter(field -> field.hashed() && data.hasNonNull(field.name()) && !preHashed.contains(field.name()))
                .concatMap(field -> hasher.hash(data.get(field.name()).asString())
                        .doOnNext(hash -> data.put(field.name(), hash)))
                .then();
    }

    private String now(Field field) {
        return field.type() == FieldType.DATE ? Values.today(clock) : Values.now(clock);
    }

    private static Notifications ignored(Entity entity, String key, List<String> fields) {
        return ignored(entity, key, fields, new Notifications());
    }

    private static Notifications ignored(Entity entity, String key, List<String> fields, Notifications notifications) {
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
