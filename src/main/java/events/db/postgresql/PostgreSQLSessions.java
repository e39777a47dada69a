package events.db.postgresql;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

import events.db.SessionStore;
import events.db.StoredDocument;
import events.query.ListQuery;
import events.schema.Entity;
import events.schema.Field;
import events.schema.Schema;
import io.r2dbc.spi.Readable;
import reactor.core.publisher.Mono;

/**
 * Sessions in the table {@value #TABLE}. Looking a session up restarts its idle timer and reads its
 * principal's current role key and that role's permissions in one statement; expired rows, and rows
 * whose principal is gone or has another password, are deleted by a periodic purge, not per request.
 *
 * <p>A session's credentials are SHA-256 fingerprints of the principal's password hash (the table
 * holds no copy of the hash itself), computed the same way here and in SQL.
 */
public final class PostgreSQLSessions implements SessionStore {

    static final String TABLE = "events_sessions";
    static final List<String> DDL = List.of(
            "CREATE TABLE IF NOT EXISTS " + TABLE + " (token_hash TEXT COLLATE \"C\" PRIMARY KEY, "
                    + "principal_entity TEXT NOT NULL, principal_id TEXT NOT NULL, login TEXT NOT NULL, "
                    + "credentials TEXT[], created_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                    + "last_seen TIMESTAMPTZ NOT NULL DEFAULT now())",
            // A table from before sessions followed their principal gets the column (its sessions, which
            // have no credential, end). Checked first so that a start does not lock the table for nothing.
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '" + TABLE + "'::regclass "
                    + "AND attname = 'credentials' AND NOT attisdropped) THEN "
                    + "ALTER TABLE " + TABLE + " ADD COLUMN credentials TEXT[]; END IF; END $$",
            "CREATE INDEX IF NOT EXISTS " + TABLE + "_last_seen ON " + TABLE + " (last_seen)",
            "CREATE INDEX IF NOT EXISTS " + TABLE + "_principal ON " + TABLE + " (principal_entity, principal_id)");

    /** The idle timer may lag by at most this much (and a tenth of the idle time). */
    private static final double MAX_TOUCH_SLACK_SECONDS = 60;

    private final Statements statements;
    private final PostgreSQLErrors errors;
    private final Map<String, Principal> principals;
    /** The session check's common table expressions; its bound values are $1..$4 (see {@link #touchValues}). */
    private final String touchCtes;
    /** Its final select of the session's principal, role key and permissions. */
    private final String touchSelect;
    private final String touchSql;
    /** Per entity: the session check and a read of one document by id ($5), one statement. */
    private final Map<String, String> touchAndFindSql = new HashMap<>();
    private final Function<Readable, StoredDocument> documents;
    private final PageAfterSession lists;

    /** Reads a list page after the session check, in one statement (PostgreSQLDocuments). */
    interface PageAfterSession {
        /** False while replicas serve lists: then the check runs alone and the page is read as usual. */
        boolean merges();

        Mono<SessionAndPage> touchAndList(ListStatements.SessionCheck check, Function<Readable, ActiveSession> sessions,
                                          Entity entity, ListQuery query);
    }

    /** {@code documents} maps a row holding {@link PostgreSQLDocuments#columns}. */
    PostgreSQLSessions(Schema schema, Statements statements, PostgreSQLErrors errors,
                       Function<Readable, StoredDocument> documents, PageAfterSession lists) {
        this.statements = statements;
        this.errors = errors;
        this.documents = documents;
        this.lists = lists;
        this.principals = principals(schema);
        List<Principal> list = principals.values().stream().toList();
        this.touchCtes = touchCtes(list);
        this.touchSelect = touchSelect(list);
        this.touchSql = touchCtes + " " + touchSelect;
        // The session row (or nulls) next to the document (or nulls): a missing session or document
        // still gives the one row that says so.
        for (Entity entity : schema.entities()) {
            touchAndFindSql.put(entity.name(), touchCtes + ", session AS (" + touchSelect + ") SELECT session.*, "
                    + PostgreSQLDocuments.columns("d") + " FROM (SELECT 1) AS one LEFT JOIN session ON true LEFT JOIN "
                    + Sql.table(entity.name()) + " d ON d.id = $5");
        }
    }

    @Override
    public Mono<Void> create(String tokenHash, NewSession session) {
        Sql sql = new Sql().append("INSERT INTO " + TABLE + " (token_hash, principal_entity, principal_id, login, "
                        + "credentials) VALUES (").bind(tokenHash).append(", ").bind(session.principalEntity())
                .append(", ").bind(session.principalId()).append(", ").bind(session.login()).append(", ARRAY[")
                .bind(fingerprint(session.credential())).append("]::text[])");
        return statements.withConnection(c -> Statements.query(c, sql, row -> 1)).then().onErrorMap(errors::translate);
    }

    @Override
    public Mono<ActiveSession> touch(String tokenHash, Duration idle, Duration maxAge) {
        // A read, though it may restart the idle timer on the way.
        Sql statement = Sql.of(DatabaseMetrics.Kind.SELECT, touchSql, touchValues(tokenHash, idle, maxAge));
        return statements.withConnection(c -> Statements.query(c, statement, this::active))
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    /** The session check and the document in one statement: one round trip for the commonest request. */
    @Override
    public Mono<SessionAndDocument> touchAndFind(String tokenHash, Duration idle, Duration maxAge, Entity entity,
                                                 String id) {
        String text = touchAndFindSql.get(entity.name());
        if (text == null) {
            return Mono.error(new IllegalArgumentException("Not an entity of the schema: " + entity.name()));
        }
        Object[] values = Arrays.copyOf(touchValues(tokenHash, idle, maxAge), 5);
        values[4] = id;
        Sql statement = Sql.of(DatabaseMetrics.Kind.SELECT, text, values);
        return statements.withConnection(c -> Statements.query(c, statement, row -> new SessionAndDocument(
                        row.get("principal_id") == null ? null : active(row),
                        row.get("id") == null ? null : documents.apply(row))))
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    @Override
    public Mono<SessionAndPage> touchAndList(String tokenHash, Duration idle, Duration maxAge, Entity entity,
                                             ListQuery query) {
        if (!lists.merges()) {
            return touch(tokenHash, idle, maxAge).map(session -> new SessionAndPage(session, null))
                    .defaultIfEmpty(new SessionAndPage(null, null));
        }
        return lists.touchAndList(new ListStatements.SessionCheck(touchCtes, touchSelect,
                touchValues(tokenHash, idle, maxAge)), this::active, entity, query);
    }

    /** $1 token hash, $2 idle seconds, $3 maximum age in seconds, $4 how stale the idle timer may get. */
    private static Object[] touchValues(String tokenHash, Duration idle, Duration maxAge) {
        return new Object[] {tokenHash, idle.toMillis() / 1000.0, maxAge.toMillis() / 1000.0,
                Math.min(idle.toMillis() / 10_000.0, MAX_TOUCH_SLACK_SECONDS)};
    }

    @Override
    public Mono<Boolean> delete(String tokenHash) {
        Sql sql = new Sql().append("DELETE FROM " + TABLE + " WHERE token_hash = ").bind(tokenHash)
                .append(" RETURNING 1");
        return statements.withConnection(c -> Statements.query(c, sql, row -> 1)).hasElements()
                .onErrorMap(errors::translate);
    }

    @Override
    public Mono<Void> acceptCredential(String tokenHash, String principalEntity, String principalId, String credential) {
        Sql sql = new Sql().append("UPDATE " + TABLE + " SET credentials = array_append(credentials, ")
                .bind(fingerprint(credential)).append(") WHERE token_hash = ").bind(tokenHash)
                .append(" AND principal_entity = ").bind(principalEntity).append(" AND principal_id = ")
                .bind(principalId).append(" RETURNING 1");
        return statements.withConnection(c -> Statements.query(c, sql, row -> 1)).then()
                .onErrorMap(errors::translate);
    }

    /**
     * One statement: sessions holding the principal's current password are narrowed to it, the others
     * deleted (both from the same snapshot, so no session is in both sets).
     */
    @Override
    public Mono<Long> settleCredentials(String principalEntity, String principalId) {
        Principal principal = principals.get(principalEntity);
        if (principal == null) {
            return Mono.just(0L);
        }
        Sql sql = new Sql();
        String id = sql.placeholder(principalId);
        String entity = sql.placeholder(principalEntity);
        sql.append("WITH current AS (SELECT " + principal.credential("p") + " AS credential FROM "
                        + Sql.table(principal.entity()) + " p WHERE p.id = " + id + "), ")
                .append("kept AS (UPDATE " + TABLE + " s SET credentials = ARRAY[current.credential] FROM current "
                        + "WHERE s.principal_entity = " + entity + " AND s.principal_id = " + id
                        + " AND current.credential = ANY(s.credentials) AND cardinality(s.credentials) > 1 RETURNING 1), ")
                .append("ended AS (DELETE FROM " + TABLE + " s WHERE s.principal_entity = " + entity
                        + " AND s.principal_id = " + id + " AND NOT EXISTS (SELECT 1 FROM current "
                        + "WHERE current.credential = ANY(s.credentials)) RETURNING 1) ")
                .append("SELECT count(*) FROM ended");
        return statements.withConnection(c -> Statements.query(c, sql, row -> row.get(0, Long.class)))
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    @Override
    public Mono<Long> purgeExpired(Duration idle, Duration maxAge) {
        Sql sql = new Sql().append("WITH gone AS (DELETE FROM " + TABLE + " s WHERE s.last_seen < now() - make_interval(secs => ")
                .bind(idle.toMillis() / 1000.0).append(") OR s.created_at < now() - make_interval(secs => ")
                .bind(maxAge.toMillis() / 1000.0).append(") OR NOT (false");
        for (Principal principal : principals.values()) {
            sql.append(" OR EXISTS (").append(principal.holding("s", "p")).append(")");
        }
        sql.append(") RETURNING 1) SELECT count(*) FROM gone");
        return statements.withConnection(c -> Statements.query(c, sql, row -> row.get(0, Long.class)))
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    @Override
    public Mono<Long> countUnexpired(Duration idle, Duration maxAge) {
        Sql sql = new Sql().append("SELECT count(*) FROM " + TABLE + " WHERE last_seen >= now() - make_interval(secs => ")
                .bind(idle.toMillis() / 1000.0).append(") AND created_at >= now() - make_interval(secs => ")
                .bind(maxAge.toMillis() / 1000.0).append(")");
        return statements.withConnection(c -> Statements.query(c, sql, row -> row.get(0, Long.class)))
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    /**
     * Finds a live session, restarts its idle timer, and reads its principal's current role key and the
     * permissions of that role: one statement. A session whose principal row is missing, or no longer
     * holds a password the session was made with, finds nothing.
     */
    private static String touchCtes(List<Principal> principals) {
        // Reading is the common case; the idle timer is written only when it is older than a tenth of
        // the idle time, so parallel requests of one session do not queue on its row lock.
        StringBuilder sql = new StringBuilder("WITH s AS (SELECT token_hash, principal_entity, principal_id, login, "
                + "credentials, last_seen FROM " + TABLE + " WHERE token_hash = $1 "
                + "AND last_seen > now() - make_interval(secs => $2) "
                + "AND created_at > now() - make_interval(secs => $3)), p AS (");
        if (principals.isEmpty()) {
            sql.append("SELECT s.token_hash, s.principal_entity, s.principal_id, s.login, s.last_seen, "
                    + "NULL::text AS role_entity, NULL::text AS role_id FROM s WHERE false");
        }
        for (int i = 0; i < principals.size(); i++) {
            Principal principal = principals.get(i);
            String alias = "p" + i;
            sql.append(i == 0 ? "" : " UNION ALL ")
                    .append("SELECT s.token_hash, s.principal_entity, s.principal_id, s.login, s.last_seen, ")
                    .append(principal.roleEntity() == null ? "NULL" : Sql.quoteLiteral(principal.roleEntity()))
                    .append("::text AS role_entity, ")
                    .append(principal.roleKey() == null ? "NULL::text"
                            : alias + ".data->>" + Sql.quoteLiteral(principal.roleKey()))
                    .append(" AS role_id FROM s JOIN ").append(Sql.table(principal.entity())).append(" ").append(alias)
                    .append(" ON ").append(principal.holds("s", alias));
        }
        sql.append("), touched AS (UPDATE " + TABLE + " t SET last_seen = now() FROM p WHERE t.token_hash = p.token_hash "
                + "AND p.last_seen < now() - make_interval(secs => $4))");
        return sql.toString();
    }

    /** The principal, its role key and that role's permissions, from the CTEs of {@link #touchCtes}. */
    private static String touchSelect(List<Principal> principals) {
        StringBuilder sql = new StringBuilder("SELECT p.principal_entity, p.principal_id, p.login, p.role_id, ");
        List<String> roleEntities = principals.stream().map(Principal::roleEntity)
                .filter(role -> role != null).distinct().toList();
        if (roleEntities.isEmpty()) {
            sql.append("NULL::jsonb AS permissions FROM p");
            return sql.toString();
        }
        sql.append("COALESCE(");
        for (int i = 0; i < roleEntities.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("r").append(i).append(".data->'permissions'");
        }
        sql.append(") AS permissions FROM p");
        for (int i = 0; i < roleEntities.size(); i++) {
            String role = roleEntities.get(i);
            // Role ids are stored in lower case; the key is too, unless it was written some other way.
            sql.append(" LEFT JOIN ").append(Sql.table(role)).append(" r").append(i).append(" ON p.role_entity = ")
                    .append(Sql.quoteLiteral(role)).append(" AND r").append(i).append(".id = lower(p.role_id)");
        }
        return sql.toString();
    }

    private ActiveSession active(Readable row) {
        return new ActiveSession(row.get("principal_entity", String.class), row.get("principal_id", String.class),
                row.get("login", String.class), row.get("role_id", String.class), row.get("permissions", String.class));
    }

    /** The SHA-256 (hex) of a password hash: what {@code credentials} hold, and what SQL computes alike. */
    static String fingerprint(String credential) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(credential.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    private static Map<String, Principal> principals(Schema schema) {
        Map<String, Principal> principals = new LinkedHashMap<>();
        for (Entity entity : schema.entities()) {
            Entity.LoginService login = entity.login();
            if (login == null) {
                continue;
            }
            String roleEntity = login.roleEntity() == null ? null
                    : schema.entity(login.roleEntity()).map(Entity::name).orElse(null);
            String roleKey = roleEntity == null ? null : entity.roleKey().map(Field::name).orElse(null);
            principals.put(entity.name(), new Principal(entity.name(), login.passwordField(), roleKey, roleEntity));
        }
        return principals;
    }

    /** A login principal entity as the session statements need it: names from the schema only. */
    private record Principal(String entity, String passwordField, @Nullable String roleKey,
                             @Nullable String roleEntity) {

        /** The fingerprint of the stored password hash of the principal row {@code alias}. */
        String credential(String alias) {
            return "encode(sha256(convert_to(" + alias + ".data->>" + Sql.quoteLiteral(passwordField)
                    + ", 'UTF8')), 'hex')";
        }

        /** Join condition: row {@code alias} of this entity is the principal of session {@code session}, unchanged. */
        String holds(String session, String alias) {
            return session + ".principal_entity = " + Sql.quoteLiteral(entity) + " AND " + alias + ".id = " + session
                    + ".principal_id AND " + credential(alias) + " = ANY(" + session + ".credentials)";
        }

        /** A subquery finding the principal row that session {@code session} still belongs to. */
        String holding(String session, String alias) {
            return "SELECT 1 FROM " + Sql.table(entity) + " " + alias + " WHERE " + holds(session, alias);
        }
    }
}
