package events.db.postgresql;

import java.time.Duration;
import java.util.List;

import events.db.SessionStore;
import events.schema.Entity;
import events.schema.Schema;
import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.R2dbcType;
import io.r2dbc.spi.Readable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sessions in the table {@value #TABLE}. Looking a session up restarts its idle timer and reads its
 * role's permissions in one statement; expired rows are deleted by a periodic purge, not per request.
 */
public final class PostgreSQLSessions implements SessionStore {

    static final String TABLE = "events_sessions";
    static final List<String> DDL = List.of(
            "CREATE TABLE IF NOT EXISTS " + TABLE + " (token_hash TEXT COLLATE \"C\" PRIMARY KEY, "
                    + "principal_entity TEXT NOT NULL, principal_id TEXT NOT NULL, login TEXT NOT NULL, "
                    + "role_entity TEXT, role_id TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                    + "last_seen TIMESTAMPTZ NOT NULL DEFAULT now())",
            "CREATE INDEX IF NOT EXISTS " + TABLE + "_last_seen ON " + TABLE + " (last_seen)");

    /** The idle timer may lag by at most this much (and a tenth of the idle time). */
    private static final double MAX_TOUCH_SLACK_SECONDS = 60;

    private final Statements statements;
    private final PostgreSQLErrors errors;
    private final String touchSql;
    private final JsonMapper json;

    PostgreSQLSessions(Schema schema, Statements statements, PostgreSQLErrors errors, JsonMapper json) {
        this.statements = statements;
        this.errors = errors;
        this.json = json;
        this.touchSql = touchSql(schema);
    }

    @Override
    public Mono<Void> create(String tokenHash, NewSession session) {
        Sql sql = new Sql().append("INSERT INTO " + TABLE + " (token_hash, principal_entity, principal_id, login, "
                        + "role_entity, role_id) VALUES (").bind(tokenHash).append(", ").bind(session.principalEntity())
                .append(", ").bind(session.principalId()).append(", ").bind(session.login()).append(", ")
                .bind(nullable(session.roleEntity())).append(", ").bind(nullable(session.roleId())).append(")");
        return statements.withConnection(c -> Statements.query(c, sql, row -> 1)).then().onErrorMap(errors::translate);
    }

    @Override
    public Mono<ActiveSession> touch(String tokenHash, Duration idle, Duration maxAge) {
        Sql sql = new Sql();
        String text = touchSql.replace(":token", sql.placeholder(tokenHash))
                .replace(":idle", sql.placeholder(idle.toMillis() / 1000.0))
                .replace(":max", sql.placeholder(maxAge.toMillis() / 1000.0))
                .replace(":slack", sql.placeholder(Math.min(idle.toMillis() / 10_000.0, MAX_TOUCH_SLACK_SECONDS)));
        Sql statement = sql.replaceText(text);
        return statements.withConnection(c -> Statements.query(c, statement, this::active))
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    @Override
    public Mono<Boolean> delete(String tokenHash) {
        Sql sql = new Sql().append("DELETE FROM " + TABLE + " WHERE token_hash = ").bind(tokenHash)
                .append(" RETURNING 1");
        return statements.withConnection(c -> Statements.query(c, sql, row -> 1)).hasElements()
                .onErrorMap(errors::translate);
    }

    @Override
    public Mono<Long> purgeExpired(Duration idle, Duration maxAge) {
        Sql sql = new Sql().append("WITH gone AS (DELETE FROM " + TABLE + " WHERE last_seen < now() - make_interval(secs => ")
                .bind(idle.toMillis() / 1000.0).append(") OR created_at < now() - make_interval(secs => ")
                .bind(maxAge.toMillis() / 1000.0).append(") RETURNING 1) SELECT count(*) FROM gone");
        return statements.withConnection(c -> Statements.query(c, sql, row -> row.get(0, Long.class)))
                .singleOrEmpty()
                .onErrorMap(errors::translate);
    }

    /**
     * Finds a live session, restarts its idle timer, and reads the permissions of its role from
     * whichever role entity the login service delegates to: one statement.
     */
    private static String touchSql(Schema schema) {
        List<String> roleEntities = schema.entities().stream()
                .filter(e -> e.login() != null && e.login().roleEntity() != null)
                .map(e -> schema.entity(e.login().roleEntity()).map(Entity::name).orElseThrow())
                .distinct().toList();
        // Reading is the common case; the idle timer is written only when it is older than a tenth of
        // the idle time, so parallel requests of one session do not queue on its row lock.
        StringBuilder sql = new StringBuilder("WITH s AS (SELECT token_hash, principal_entity, principal_id, login, "
                + "role_entity, role_id, last_seen FROM " + TABLE + " WHERE token_hash = :token "
                + "AND last_seen > now() - make_interval(secs => :idle) "
                + "AND created_at > now() - make_interval(secs => :max)), "
                + "touched AS (UPDATE " + TABLE + " t SET last_seen = now() FROM s WHERE t.token_hash = s.token_hash "
                + "AND s.last_seen < now() - make_interval(secs => :slack)) "
                + "SELECT s.principal_entity, s.principal_id, s.login, s.role_id, ");
        if (roleEntities.isEmpty()) {
            sql.append("NULL::jsonb AS permissions FROM s");
            return sql.toString();
        }
        sql.append("COALESCE(");
        for (int i = 0; i < roleEntities.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("r").append(i).append(".data->'permissions'");
        }
        sql.append(") AS permissions FROM s");
        for (int i = 0; i < roleEntities.size(); i++) {
            String role = roleEntities.get(i);
            sql.append(" LEFT JOIN ").append(Sql.table(role)).append(" r").append(i).append(" ON s.role_entity = ")
                    .append(Sql.quoteLiteral(role)).append(" AND r").append(i).append(".id = s.role_id");
        }
        return sql.toString();
    }

    private ActiveSession active(Readable row) {
        Json permissions = row.get("permissions", Json.class);
        return new ActiveSession(row.get("principal_entity", String.class), row.get("principal_id", String.class),
                row.get("login", String.class), row.get("role_id", String.class),
                permissions == null ? null : json.readTree(permissions.asArray()));
    }

    private static Object nullable(String value) {
        return value == null ? Parameters.in(R2dbcType.VARCHAR) : value;
    }
}
