package events.db.postgresql;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.config.StartupException;
import events.schema.Entity;
import events.schema.Schema;
import io.r2dbc.spi.Connection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Brings tables and indexes up to date with the schema: idempotent DDL in one transaction, under an
 * advisory lock so that several server processes starting together do not race. Runs at start-up and
 * for {@code POST /api/db/init}, never on an ordinary request.
 */
final class PostgreSQLSchemaMigrator {

    private static final Logger log = LoggerFactory.getLogger(PostgreSQLSchemaMigrator.class);
    private static final String LOCK = "SELECT pg_advisory_xact_lock(4242001)";
    /** Secrets shared by every server process on the database. Never wiped by {@code POST /api/db/init}. */
    static final String SECRETS_TABLE = "events_secrets";
    private static final String SECRETS_DDL = "CREATE TABLE IF NOT EXISTS " + SECRETS_TABLE
            + " (name TEXT COLLATE \"C\" PRIMARY KEY, secret BYTEA NOT NULL)";
    private static final String CURSOR_SECRET = "cursor";
    /**
     * Every document's version (api.md 13) is drawn from this one sequence: it changes on every write and,
     * since the sequence only moves forward and is never dropped (not by {@code POST /api/db/init}
     * either), never repeats for an id, across a delete and re-create too.
     */
    static final String VERSIONS = "events_versions";
    private static final String VERSIONS_DDL = "CREATE SEQUENCE IF NOT EXISTS " + VERSIONS;
    private static final String VERSION_COLUMN = "version BIGINT NOT NULL DEFAULT nextval('" + VERSIONS + "')";

    private final Schema schema;
    private final PostgreSQLIndexes indexes;

    PostgreSQLSchemaMigrator(Schema schema, PostgreSQLIndexes indexes) {
        this.schema = schema;
        this.indexes = indexes;
    }

    private volatile boolean trigramAvailable;
    private volatile byte @Nullable [] cursorSecret;

    /**
     * Blocking: for start-up only. Installs {@code pg_trgm} when the role may (it is a trusted
     * extension since PostgreSQL 13); without it, "contains" filters scan and the report says so.
     */
    void migrateAtStartup(Statements statements, Duration timeout) {
        try {
            // Under the migration's lock: two processes starting at once would otherwise race on
            // pg_extension (one fails with a unique violation, then migrates without trigram indexes
            // and drops the other's as stale).
            statements.inTransaction(Statements.READ_COMMITTED, c -> Statements.update(c, LOCK)
                    .then(Statements.update(c, "CREATE EXTENSION IF NOT EXISTS pg_trgm"))).blockLast(timeout);
        } catch (RuntimeException e) {
            log.warn("pg_trgm is not available ({}); \"contains\" filters will scan", PostgreSQLCore.describe(e));
        }
        Sql check = new Sql().append("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')");
        trigramAvailable = Boolean.TRUE.equals(statements.withConnection(c -> Statements.query(c, check,
                row -> row.get(0, Boolean.class))).blockLast(timeout));
        try {
            statements.inTransaction(Statements.READ_COMMITTED, c -> migrate(c, false)).blockLast(timeout);
        } catch (RuntimeException e) {
            throw new StartupException("Cannot create the tables and indexes of the schema: "
                    + PostgreSQLCore.describe(e));
        }
        cursorSecret = loadCursorSecret(statements, timeout);
    }

    /**
     * The key that signs list cursors: 32 random bytes, stored by whichever server process starts first
     * on the database and read by all the others ({@code ON CONFLICT DO NOTHING}), so that every
     * process accepts every other's cursors, across restarts too. Blocking: for start-up only.
     */
    private static byte[] loadCursorSecret(Statements statements, Duration timeout) {
        byte[] candidate = new byte[32];
        new SecureRandom().nextBytes(candidate);
        Sql insert = new Sql().append("INSERT INTO " + SECRETS_TABLE + " (name, secret) VALUES (")
                .bind(CURSOR_SECRET).append(", decode(").bind(HexFormat.of().formatHex(candidate))
                .append(", 'hex')) ON CONFLICT (name) DO NOTHING");
        Sql select = new Sql().append("SELECT encode(secret, 'hex') FROM " + SECRETS_TABLE + " WHERE name = ")
                .bind(CURSOR_SECRET);
        try {
            String hex = statements.withConnection(c -> Statements.rows(c, insert, row -> 0)
                            .thenMany(Statements.query(c, select, row -> row.get(0, String.class))))
                    .blockLast(timeout);
            if (hex == null) {
                throw new StartupException("The cursor secret could not be stored");
            }
            return HexFormat.of().parseHex(hex);
        } catch (RuntimeException e) {
            if (e instanceof StartupException) {
                throw e;
            }
            throw new StartupException("Cannot read the cursor secret: " + PostgreSQLCore.describe(e));
        }
    }

    /** The cursor-signing key read at start-up. */
    byte[] cursorSecret() {
        byte[] secret = cursorSecret;
        if (secret == null) {
            throw new IllegalStateException("the schema must be migrated (at start-up) before lists are served");
        }
        return secret.clone();
    }

    /** Drops every entity table first when {@code wipe} is set (the caller provides the transaction). */
    Mono<Void> migrate(Connection connection, boolean wipe) {
        List<String> ddl = new ArrayList<>();
        ddl.add(FieldExpressions.KEY_HASH_DDL);
        ddl.addAll(PostgreSQLSessions.DDL);
        ddl.add(SECRETS_DDL);
        ddl.add(VERSIONS_DDL);
        if (wipe) {
            ddl.add("DELETE FROM " + PostgreSQLSessions.TABLE);
        }
        for (Entity entity : schema.entities()) {
            if (wipe) {
                ddl.add("DROP TABLE IF EXISTS " + Sql.table(entity.name()));
            }
            ddl.add("CREATE TABLE IF NOT EXISTS " + Sql.table(entity.name())
                    + " (id TEXT COLLATE \"C\" PRIMARY KEY, data JSONB NOT NULL, " + VERSION_COLUMN + ")");
            indexes.of(entity, trigramAvailable).forEach(spec -> ddl.add(spec.createSql()));
        }
        return Statements.update(connection, LOCK)
                .thenMany(Flux.fromIterable(ddl).concatMap(sql -> Statements.update(connection, sql)))
                .thenMany(addVersions(connection))
                .thenMany(Flux.fromIterable(schema.entities()).concatMap(entity -> dropStale(connection, entity)))
                .then();
    }

    /**
     * Tables made before versions existed get the column; the volatile default gives each existing row
     * a distinct version from the sequence (a one-time rewrite of the table).
     */
    private Flux<Long> addVersions(Connection connection) {
        Sql sql = new Sql().append("SELECT table_name::text FROM information_schema.columns "
                + "WHERE table_schema = current_schema() AND column_name = 'version'");
        return Statements.query(connection, sql, row -> row.get(0, String.class))
                .collect(Collectors.toSet())
                .flatMapMany(versioned -> Flux.fromIterable(schema.entities())
                        .filter(entity -> !versioned.contains(entity.name()))
                        .concatMap(entity -> {
                            log.info("Adding the version column to {}", entity.name());
                            return Statements.update(connection, "ALTER TABLE " + Sql.table(entity.name())
                                    + " ADD COLUMN IF NOT EXISTS " + VERSION_COLUMN);
                        }));
    }

    /** Drops indexes this server made earlier that the schema no longer asks for. */
    private Flux<Long> dropStale(Connection connection, Entity entity) {
        Set<String> wanted = indexes.of(entity, trigramAvailable).stream().map(IndexSpec::name)
                .collect(Collectors.toSet());
        Sql sql = new Sql().append("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                + "AND tablename = ").bind(entity.name()).append(" AND starts_with(indexname, ")
                .bind(IndexSpec.PREFIX).append(")");
        return Statements.query(connection, sql, row -> row.get(0, String.class))
                .filter(name -> !wanted.contains(name))
                .collectList()
                .flatMapMany(stale -> Flux.fromIterable(stale).concatMap(name -> {
                    log.info("Dropping index {} on {}: no longer in the schema", name, entity.name());
                    return Statements.update(connection, "DROP INDEX IF EXISTS " + Sql.quoteIdent(name));
                }));
    }
}
