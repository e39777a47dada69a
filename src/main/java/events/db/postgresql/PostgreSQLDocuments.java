package events.db.postgresql;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.reactivestreams.Publisher;

import org.jspecify.annotations.Nullable;

import events.db.DatabaseStatus;
import events.db.DocumentStore;
import events.db.SessionStore;
import events.db.ListPage;
import events.db.StoredDocument;
import events.db.UnitOfWork;
import events.error.ApiError;
import events.error.ApiException;
import events.query.ListQuery;
import events.schema.Entity;
import events.schema.Field;
import events.schema.Schema;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The PostgreSQL {@link DocumentStore}: one {@code (id, data JSONB)} table per entity, every value a
 * bound {@code $n} parameter, every write answered from {@code RETURNING data}.
 */
public final class PostgreSQLDocuments implements DocumentStore {

    /** Rows per cursor {@code FETCH} while streaming: big enough to amortise, small enough for memory. */
    private static final int STREAM_BATCH = 500;

    private final Schema schema;
    private final ConnectionPool pool;
    private final Statements statements;
    private final PostgreSQLIndexes indexes;
    private final PostgreSQLErrors errors;
    private final PostgreSQLSchemaMigrator migrator;
    private final ListStatements lists;
    private final PostgreSQLSessions sessions;
    private final JsonMapper json;
    private final StreamSlots streamSlots;
    private final BulkInserts bulk;
    private final ReadReplicas replicas;

    public PostgreSQLDocuments(Schema schema, PostgreSQLCore core, boolean caseSensitive, JsonMapper json) {
        this.schema = schema;
        this.pool = core.pool();
        this.statements = new Statements(pool, core.acquireTimeout(), core.maxSize(), core.metrics());
        this.streamSlots = new StreamSlots(core.maxSize(), core.acquireTimeout());
        FieldExpressions expressions = new FieldExpressions(caseSensitive, schema.textSearchConfig());
        this.indexes = new PostgreSQLIndexes(schema, expressions);
        this.lists = new ListStatements(expressions, new PostgreSQLQueries(expressions));
        this.errors = new PostgreSQLErrors(indexes);
        this.migrator = new PostgreSQLSchemaMigrator(schema, indexes);
        // Stored numbers are read exactly (JSONB numeric keeps every digit that was sent): a double would
        // round long decimals on the way out.
        this.json = json.rebuild().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
        this.sessions = new PostgreSQLSessions(schema, statements, errors, this::versioned,
                new PostgreSQLSessions.PageAfterSession() {
                    @Override
                    public boolean merges() {
                        return !replicas.enabled();
                    }

                    @Override
                    public Mono<SessionStore.SessionAndPage> touchAndList(ListStatements.SessionCheck check,
                            Function<Readable, SessionStore.ActiveSession> sessions, Entity entity, ListQuery query) {
                        return PostgreSQLDocuments.this.touchAndList(check, sessions, entity, query);
                    }
                });
        this.bulk = new BulkInserts(this, expressions, errors);
        this.replicas = core.replicas();
    }

    @Override
    public ReadReplicas readRouting() {
        return replicas;
    }

    /** The session store on the same pool. */
    public PostgreSQLSessions sessions() {
        return sessions;
    }

    /** Creates or updates tables and indexes; blocking, for start-up. */
    public void migrate(Duration timeout) {
        migrator.migrateAtStartup(statements, timeout);
    }

    @Override
    public Mono<StoredDocument> find(Entity entity, String id) {
        Sql sql = new Sql().append("SELECT " + columns("t") + " FROM ").table(entity).append(" t WHERE t.id = ").bind(id);
        return statements.withConnection(c -> Statements.query(c, sql, this::versioned))
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    @Override
    public <T> Flux<T> inTransaction(Function<UnitOfWork, Publisher<T>> work) {
        return statements.inTransaction(Statements.READ_COMMITTED, c -> work.apply(new Transaction(c)))
                .onErrorMap(errors::translate);
    }

    @Override
    public <T> Flux<T> inLongTransaction(Function<UnitOfWork, Publisher<T>> work) {
        return streamSlots.within(slot -> statements.inTransaction(Statements.READ_COMMITTED,
                        c -> work.apply(new Transaction(c))))
                .onErrorMap(errors::translate);
    }

    /** The writes of one unit of work, all on its connection. */
    private final class Transaction implements UnitOfWork {

        private final Connection connection;

        Transaction(Connection connection) {
            this.connection = connection;
        }

        @Override
        public Mono<StoredDocument> lock(Entity entity, String id) {
            Sql sql = new Sql().append("SELECT id, data, version FROM ").table(entity).append(" WHERE id = ").bind(id)
                    .append(" FOR UPDATE");
            return Statements.query(connection, sql, PostgreSQLDocuments.this::versioned)
                    .singleOrEmpty()
                    .onErrorMap(errors::translate);
        }

        @Override
        public Mono<StoredDocument> insert(Entity entity, String id, ObjectNode data) {
            return Mono.defer(() -> runWrite(connection, entity, id, data, insertStatement(entity, id, data),
                    references(entity, data)));
        }

        @Override
        public Mono<List<StoredDocument>> insertAll(Entity entity, List<NewDocument> documents, List<String> keys) {
            return bulk.insertAll(connection, entity, documents, keys);
        }

        @Override
        public Mono<Inserted> insertEach(Entity entity, List<NewDocument> documents, List<String> keys) {
            return bulk.insertEach(connection, entity, documents, keys);
        }

        @Override
        public Mono<StoredDocument> replace(Entity entity, String id, ObjectNode data, List<String> keep) {
            return Mono.defer(() -> runWrite(connection, entity, id, data, replaceStatement(entity, id, data, keep),
                    references(entity, data)));
        }

        @Override
        public Mono<StoredDocument> delete(Entity entity, String id) {
            return Statements.query(connection, deleteStatement(entity, id), PostgreSQLDocuments.this::versioned)
                    .singleOrEmpty()
                    .onErrorMap(errors::translate);
        }
    }

    @Override
    public Mono<ListPage> list(Entity entity, ListQuery query) {
        Sql page = lists.page(entity, query);
        // A replica's when one may serve it (ReadReplicas); the page and its count on the same server.
        return replicas.read(reads -> reads.withConnection(c -> Statements.rows(c, page, row -> pageRow(row, query))
                                .flatMap(rows -> finish(c, entity, query, rows)))
                        .singleOrEmpty()
                        .switchIfEmpty(Mono.defer(() -> counted(reads, entity, query))).flux())
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    /**
     * A session check and a list page in one statement ({@link ListStatements#pageAfterSession}), then the
     * page finished as {@link #list} finishes it, on the same connection. Only without replicas: with them
     * the page is theirs to serve and the check the primary's.
     */
    private Mono<SessionStore.SessionAndPage> touchAndList(ListStatements.SessionCheck check,
                                                          Function<Readable, SessionStore.ActiveSession> sessions,
                                                          Entity entity, ListQuery query) {
        SessionStore.SessionAndPage none = new SessionStore.SessionAndPage(null, null);
        Sql sql = lists.pageAfterSession(entity, query, check);
        return statements.withConnection(c -> Statements.rows(c, sql, row -> new SessionPageRow(
                                row.get("principal_id") == null ? null : sessions.apply(row),
                                row.get("id") == null ? null : pageRow(row, query)))
                        .flatMap(rows -> {
                            SessionStore.ActiveSession session = rows.isEmpty() ? null : rows.get(0).session();
                            if (session == null) {
                                return Mono.just(none);
                            }
                            List<PageRow> page = new ArrayList<>(rows.size());
                            rows.forEach(row -> {
                                if (row.page() != null) {
                                    page.add(row.page());
                                }
                            });
                            return finish(c, entity, query, page)
                                    .map(finished -> new SessionStore.SessionAndPage(session, finished))
                                    .defaultIfEmpty(new SessionStore.SessionAndPage(session, null));
                        }))
                .singleOrEmpty()
                .defaultIfEmpty(none)
                .onErrorMap(errors::translate);
    }

    /** A row of {@link ListStatements#pageAfterSession}: the session (null when not live) and a page row. */
    private record SessionPageRow(SessionStore.@Nullable ActiveSession session, @Nullable PageRow page) {
    }

    /**
     * The page from its rows (one more than the page when more follow), with the total its count mode
     * asks for. Empty when only a {@code count(*)} can tell the total: an exact count whose page is
     * empty past the start, or a page past the end (whose total api.md 11.1 wants exact in every
     * counting mode).
     */
    private Mono<ListPage> finish(Connection connection, Entity entity, ListQuery query, List<PageRow> rows) {
        int size = query.page().size();
        boolean hasMore = rows.size() > size;
        List<PageRow> shown = hasMore ? rows.subList(0, size) : rows;
        List<StoredDocument> documents = shown.stream().map(PageRow::document).toList();
        List<String> lastKeys = hasMore ? shown.get(size - 1).keys() : null;
        boolean keyset = query.after() != null;
        long offset = keyset ? 0 : query.page().offset();
        switch (query.count()) {
            case NONE:
                return Mono.just(new ListPage(documents, null, false, hasMore, lastKeys));
            case EXACT:
                if (!rows.isEmpty()) {
                    return Mono.just(new ListPage(documents, rows.get(0).total(), false, hasMore, lastKeys));
                }
                return offset == 0 && !keyset ? Mono.just(new ListPage(documents, 0L, false, false, null)) : Mono.empty();
            default:
                if (!keyset && !hasMore) {
                    // The page shows the end: the total is exact, and free.
                    return rows.isEmpty() && offset > 0 ? Mono.empty()
                            : Mono.just(new ListPage(documents, offset + documents.size(), false, false, null));
                }
                // Never below what this page has shown to exist.
                long floor = offset + documents.size() + (hasMore ? 1 : 0);
                return estimate(connection, entity, query)
                        .map(estimate -> new ListPage(documents, Math.max(estimate, floor), true, hasMore, lastKeys));
        }
    }

    /** The planner's row estimate of the list's match (see {@link ListStatements#estimate}). */
    private Mono<Long> estimate(Connection connection, Entity entity, ListQuery query) {
        return Statements.query(connection, lists.estimate(entity, query), row -> row.get(0, String.class))
                .singleOrEmpty()
                .map(plan -> Math.round(json.readTree(plan).path(0).path("Plan").path("Plan Rows").asDouble(0)));
    }

    /** The page and an exact {@code count(*)} of the match, in one read-only snapshot. */
    private Mono<ListPage> counted(Statements statements, Entity entity, ListQuery query) {
        Sql page = lists.page(entity, query);
        Sql count = lists.count(entity, query);
        int size = query.page().size();
        return statements.inTransaction(Statements.SNAPSHOT, c -> Statements.rows(c, page, row -> pageRow(row, query))
                        .flatMap(rows -> Statements.query(c, count, row -> row.get(0, Long.class))
                                .singleOrEmpty()
                                .map(total -> {
                                    boolean hasMore = rows.size() > size;
                                    List<PageRow> shown = hasMore ? rows.subList(0, size) : rows;
                                    return new ListPage(shown.stream().map(PageRow::document).toList(), total, false,
                                            hasMore, hasMore ? shown.get(size - 1).keys() : null);
                                })))
                .singleOrEmpty();
    }

    /** The SQL of one list page with its total (package-private for the EXPLAIN tests). */
    Sql pageWithTotal(Entity entity, ListQuery query) {
        return lists.page(entity, query);
    }

    /** The SQL of the planner's estimate of a list's total (package-private for the EXPLAIN tests). */
    Sql estimateStatement(Entity entity, ListQuery query) {
        return lists.estimate(entity, query);
    }

    private PageRow pageRow(Readable row, ListQuery query) {
        int keys = query.keyCount();
        List<String> values = new ArrayList<>(keys);
        for (int i = 0; i < keys; i++) {
            values.add(row.get(PostgreSQLQueries.keyColumn(i), String.class));
        }
        return new PageRow(document(row), row.get("total", Long.class), values);
    }

    /** A row of a page statement: the document, the total (null unless counted) and its sort-key values. */
    private record PageRow(StoredDocument document, @Nullable Long total, List<@Nullable String> keys) {
    }

    /**
     * Every matching row in order through a cursor ({@value #STREAM_BATCH} rows per {@code FETCH})
     * inside a read-only snapshot: memory stays constant and the client's demand paces the database.
     * Streams hold at most half the pool ({@link StreamSlots}). Cancelling (a client that goes away)
     * rolls back and releases the connection. {@code count} does not apply.
     */
    @Override
    public Flux<StoredDocument> stream(Entity entity, ListQuery query) {
        Sql sql = lists.stream(entity, query);
        return streamSlots.within(slot -> replicas.read(reads -> reads.inTransaction(Statements.SNAPSHOT,
                        c -> Statements.cursor(c, sql, STREAM_BATCH, this::document))))
                .onErrorMap(errors::translate);
    }

    @Override
    public byte[] cursorSecret() {
        return migrator.cursorSecret();
    }

    @Override
    public Flux<StoredDocument> findMany(Entity entity, Collection<String> ids) {
        if (ids.isEmpty()) {
            return Flux.empty();
        }
        // = ANY($1), not IN (...): one prepared statement for every list length.
        Sql sql = new Sql().append("SELECT id, data FROM ").table(entity).append(" WHERE id = ANY(")
                .bind(ids.toArray(String[]::new)).append(")");
        return statements.withConnection(c -> Statements.query(c, sql, this::document))
                .onErrorMap(errors::translate);
    }

    /**
     * One statement: the foreign keys are checked (locking the referenced rows {@code FOR KEY SHARE},
     * so they cannot be deleted under us) and the row is inserted only when none is missing.
     */
    @Override
    public Mono<StoredDocument> insert(Entity entity, String id, ObjectNode data) {
        Sql sql = insertStatement(entity, id, data);
        List<Reference> references = references(entity, data);
        return statements.withConnection(c -> runWrite(c, entity, id, data, sql, references)).singleOrEmpty();
    }

    /**
     * One statement: the foreign keys are checked (locking the referenced rows {@code FOR KEY SHARE},
     * so they cannot be deleted under us) and the row is inserted only when none is missing. Its version
     * comes from the column's default, the next value of the global version sequence.
     */
    private Sql insertStatement(Entity entity, String id, ObjectNode data) {
        Sql sql = new Sql();
        foreignKeyCheck(sql, references(entity, data));
        sql.append(", written AS (INSERT INTO ").table(entity).append(" (id, data) SELECT ").bind(id)
                .append(", ").bind(jsonb(data)).append(" FROM fk WHERE cardinality(fk.missing) = 0 RETURNING id, data, version)")
                .append(" SELECT fk.missing, true AS found, written.id, written.data, written.version FROM fk LEFT JOIN written ON true");
        return sql;
    }

    @Override
    public Mono<StoredDocument> replace(Entity entity, String id, ObjectNode data, List<String> keep) {
        Sql sql = replaceStatement(entity, id, data, keep);
        List<Reference> references = references(entity, data);
        return statements.withConnection(c -> runWrite(c, entity, id, data, sql, references)).singleOrEmpty();
    }

    /** Like {@link #insertStatement}; the kept fields come from the stored row, and the version is a new one. */
    private Sql replaceStatement(Entity entity, String id, ObjectNode data, List<String> keep) {
        Sql sql = new Sql();
        foreignKeyCheck(sql, references(entity, data));
        // The kept fields (autoGenerate, omitted secrets) come from the stored row, in the same statement.
        sql.append(", written AS (UPDATE ").table(entity).append(" AS t SET data = ").bind(jsonb(data))
                .append("::jsonb || COALESCE((SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(t.data) AS e "
                        + "WHERE e.key = ANY(").bind(keep.toArray(String[]::new)).append(")), '{}'::jsonb)")
                .append(", version = nextval('" + PostgreSQLSchemaMigrator.VERSIONS + "')")
                .append(" FROM fk WHERE t.id = ").bind(id)
                .append(" AND cardinality(fk.missing) = 0 RETURNING t.id, t.data, t.version)")
                .append(" SELECT fk.missing, EXISTS (SELECT 1 FROM ").table(entity).append(" WHERE id = ").bind(id)
                .append(") AS found, written.id, written.data, written.version FROM fk LEFT JOIN written ON true");
        return sql;
    }

    /** Runs a checked write: empty when the target row does not exist, 422 for missing references. */
    private Mono<StoredDocument> runWrite(Connection connection, Entity entity, String id, ObjectNode data, Sql sql,
                                          List<Reference> references) {
        return Statements.query(connection, sql, row -> new WriteRow(
                        row.get("missing", String[].class), Boolean.TRUE.equals(row.get("found", Boolean.class)),
                        row.get("id", String.class) == null ? null : versioned(row)))
                .singleOrEmpty()
                .flatMap(result -> {
                    if (!result.found()) {
                        return Mono.empty(); // 404 comes before foreign keys (api.md 3.5)
                    }
                    if (result.missing() != null && result.missing().length > 0) {
                        return Mono.error(missingReferences(id, references, List.of(result.missing())));
                    }
                    return Mono.justOrEmpty(result.document());
                })
                .onErrorMap(e -> errors.translate(e, entity, id, data));
    }

    /** {@code WITH fk AS (SELECT ARRAY[...] AS missing)}: the names of foreign keys naming no row. */
    private static void foreignKeyCheck(Sql sql, List<Reference> references) {
        sql.append("WITH fk AS (SELECT array_remove(ARRAY[");
        for (int i = 0; i < references.size(); i++) {
            Reference reference = references.get(i);
            sql.append(i == 0 ? "" : ", ").append("CASE WHEN EXISTS (SELECT 1 FROM ").append(Sql.table(reference.target()))
                    .append(" r WHERE r.id = ").bind(reference.id()).append(" FOR KEY SHARE) THEN NULL ELSE ")
                    .append(Sql.quoteLiteral(reference.field().name())).append(" END");
        }
        sql.append("]::text[], NULL) AS missing)");
    }

    static List<Reference> references(Entity entity, ObjectNode data) {
        List<Reference> references = new ArrayList<>();
        for (Field field : entity.foreignKeys()) {
            JsonNode value = data.get(field.name());
            if (value != null && value.isString() && !value.asString().isEmpty()) {
                references.add(new Reference(field, field.foreignKey(), value.asString()));
            }
        }
        return references;
    }

    static ApiException missingReferences(String id, List<Reference> references, List<String> missing) {
        List<ApiError.Entry> entries = new ArrayList<>();
        for (Reference reference : references) {
            if (missing.contains(reference.field().name())) {
                String shown = reference.id().length() > 60 ? reference.id().substring(0, 60) + "..." : reference.id();
                entries.add(new ApiError.Entry(reference.target() + " " + shown + " does not exist",
                        reference.field().name(), JsonNodeFactory.instance.stringNode(reference.id())));
            }
        }
        return new ApiException(new ApiError.ValidationFailed(id, entries));
    }

    /** A foreign-key value to check: {@code field} of this entity names document {@code id} of {@code target}. */
    record Reference(Field field, String target, String id) {
    }

    private record WriteRow(String[] missing, boolean found, StoredDocument document) {
    }

    @Override
    public Mono<StoredDocument> delete(Entity entity, String id) {
        Sql sql = deleteStatement(entity, id);
        return statements.withConnection(c -> Statements.query(c, sql, this::versioned))
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    private static Sql deleteStatement(Entity entity, String id) {
        return new Sql().append("DELETE FROM ").table(entity).append(" WHERE id = ").bind(id)
                .append(" RETURNING id, data, version");
    }

    @Override
    public Mono<DatabaseStatus> status() {
        Sql facts = new Sql().append("SELECT current_setting('server_version'), "
                + "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')");
        StringBuilder counts = new StringBuilder("SELECT 0");
        for (Entity entity : schema.entities()) {
            counts.append(", (SELECT count(*) FROM ").append(Sql.table(entity.name())).append(")");
        }
        Sql countSql = new Sql().append(counts.toString());
        Sql indexSql = new Sql().append("SELECT tablename, indexname FROM pg_indexes "
                + "WHERE schemaname = current_schema() ORDER BY tablename, indexname");
        // The pool as it was before this report took a connection of its own.
        return Mono.fromSupplier(this::poolState).flatMap(pool -> statements.inTransaction(Statements.SNAPSHOT,
                c -> Mono.zip(
                        Statements.query(c, facts, row -> Map.entry(row.get(0, String.class), row.get(1, Boolean.class)))
                                .singleOrEmpty(),
                        Statements.query(c, countSql, this::counts).singleOrEmpty(),
                        Statements.query(c, indexSql, row -> Map.entry(row.get(0, String.class), row.get(1, String.class)))
                                .collectList()
                                .map(this::indexesByEntity))
                        .map(t -> new DatabaseStatus(t.getT1().getKey(), t.getT2(), t.getT3(), pool,
                                t.getT1().getValue())))
                .singleOrEmpty())
                .onErrorMap(errors::translate);
    }

    private Map<String, Long> counts(Readable row) {
        Map<String, Long> byEntity = new LinkedHashMap<>();
        int column = 1;
        for (Entity entity : schema.entities()) {
            byEntity.put(entity.name(), row.get(column++, Long.class));
        }
        return byEntity;
    }

    private Map<String, List<String>> indexesByEntity(List<Map.Entry<String, String>> rows) {
        Map<String, List<String>> byEntity = new LinkedHashMap<>();
        for (Entity entity : schema.entities()) {
            byEntity.put(entity.name(), rows.stream().filter(r -> r.getKey().equals(entity.name()))
                    .map(Map.Entry::getValue).toList());
        }
        return byEntity;
    }

    /** The pool's state now; no database round trip. */
    public DatabaseStatus.PoolState poolState() {
        PoolMetrics metrics = pool.getMetrics().orElse(null);
        if (metrics == null) {
            return new DatabaseStatus.PoolState(0, 0, 0, 0, 0);
        }
        return new DatabaseStatus.PoolState(metrics.allocatedSize(), metrics.idleSize(), metrics.acquiredSize(),
                metrics.pendingAcquireSize(), metrics.getMaxAllocatedSize());
    }

    @Override
    public Mono<Void> ping() {
        Sql sql = new Sql().append("SELECT 1");
        return statements.withConnection(c -> Statements.query(c, sql, row -> 1)).then()
                .onErrorMap(errors::translate);
    }

    @Override
    public Mono<Void> reinitialize() {
        return statements.inTransaction(Statements.READ_COMMITTED, c -> migrator.migrate(c, true))
                .then()
                .onErrorMap(errors::translate);
    }

    /** The columns {@link #versioned} maps, of the table aliased {@code alias}. */
    static String columns(String alias) {
        return alias + ".id, " + alias + ".data, " + alias + ".version";
    }

    /** A row: its data kept as PostgreSQL's text, parsed only if a caller asks for the tree. */
    StoredDocument document(Readable row) {
        return document(row, StoredDocument.UNVERSIONED);
    }

    /** A row with its {@code version} column (single-document reads and every write). */
    StoredDocument versioned(Readable row) {
        Long version = row.get("version", Long.class);
        return document(row, version == null ? StoredDocument.UNVERSIONED : version);
    }

    private StoredDocument document(Readable row, long version) {
        String id = row.get("id", String.class);
        Json data = row.get("data", Json.class);
        return StoredDocument.read(id, data.asArray(), this::parse, version);
    }

    private ObjectNode parse(byte[] text) {
        return (ObjectNode) json.readTree(text);
    }

    Json jsonb(JsonNode data) {
        return Json.of(json.writeValueAsBytes(data));
    }
}
