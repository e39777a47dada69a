package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.db.SessionStore;
import events.schema.Entity;
import events.schema.Schema;
import events.schema.SchemaLoader;
import events.support.TestDatabase;
import events.support.TestSql;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@link PostgreSQLSessions} on a real PostgreSQL: sessions follow their principal row, the purge removes
 * those that no longer do, and a sessions table from before credentials is brought up to date.
 */
final class PostgreSQLSessionsIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration IDLE = Duration.ofHours(1);
    private static final Duration MAX_AGE = Duration.ofHours(8);
    private static final String DATABASE = "events_it_pgsessions_" + ProcessHandle.current().pid();
    private static Schema schema;
    private static PostgreSQLCore core;
    private static PostgreSQLDocuments documents;
    private static PostgreSQLSessions sessions;
    private static Entity auth;

    @BeforeAll
    static void connect() throws IOException {
        try (InputStream in = PostgreSQLSessionsIntegrationTests.class.getResourceAsStream("/events-schema.yaml")) {
            schema = new SchemaLoader().load(new String(in.readAllBytes(), StandardCharsets.UTF_8), null);
        }
        core = PostgreSQLCore.connect(TestDatabase.uri(), config(DATABASE));
        documents = new PostgreSQLDocuments(schema, core, false, JSON);
        documents.migrate(Duration.ofMinutes(2));
        sessions = documents.sessions();
        auth = schema.entity("Auth").orElseThrow();
        documents.insert(role(), "role-1",
                object("{\"role\": \"One\", \"permissions\": {\"*\": \"r\", \"Url\": \"s\"}}")).block();
    }

    @AfterAll
    static void close() {
        core.close();
    }

    @Test
    void aSessionReadsItsPrincipalsCurrentRoleKeyAndItsRolesPermissions() {
        principal("reader", "$2a$hash-reader", "role-1");
        sessions.create("t-reader", new SessionStore.NewSession("Auth", "reader", "Reader", "$2a$hash-reader")).block();
        sessions.touch("t-reader", IDLE, MAX_AGE)
                .as(StepVerifier::create)
                .assertNext(active -> {
                    assertThat(active.principalId()).isEqualTo("reader");
                    assertThat(active.login()).isEqualTo("Reader");
                    assertThat(active.roleId()).isEqualTo("role-1");
                    assertThat(JSON.readTree(active.permissions()).path("Url").asString()).isEqualTo("s");
                })
                .verifyComplete();
        documents.insert(role(), "role-2", object("{\"role\": \"Two\", \"permissions\": {\"Account\": \"r\"}}"))
                .block();
        documents.replace(auth, "reader", object("{\"name\": \"reader\", \"roleId\": \"role-2\"}"), List.of("password"))
                .block();
        sessions.touch("t-reader", IDLE, MAX_AGE)
                .as(StepVerifier::create)
                .assertNext(active -> {
                    assertThat(active.roleId()).isEqualTo("role-2");
                    assertThat(JSON.readTree(active.permissions()).path("Account").asString()).isEqualTo("r");
                })
                .verifyComplete();
        documents.delete(role(), "role-2").block();
        sessions.touch("t-reader", IDLE, MAX_AGE)
                .as(StepVerifier::create)
                .assertNext(active -> assertThat(active.permissions()).as("the role is gone").isNull())
                .verifyComplete();
    }

    @Test
    void touchAndFindReadsTheSessionAndTheDocumentTogetherWhicheverIsMissing() {
        principal("finder", "$2a$hash-finder", "role-1");
        sessions.create("t-finder", new SessionStore.NewSession("Auth", "finder", "Finder", "$2a$hash-finder")).block();
        Entity role = role();

        sessions.touchAndFind("t-finder", IDLE, MAX_AGE, role, "role-1")
                .as(StepVerifier::create)
                .assertNext(found -> {
                    assertThat(found.session()).isNotNull();
                    assertThat(found.session().principalId()).isEqualTo("finder");
                    assertThat(found.session().roleId()).isEqualTo("role-1");
                    assertThat(JSON.readTree(found.session().permissions()).path("Url").asString()).isEqualTo("s");
                    assertThat(found.document()).isNotNull();
                    assertThat(found.document().id()).isEqualTo("role-1");
                    assertThat(found.document().data().path("role").asString()).isEqualTo("One");
                    assertThat(found.document().version()).as("the version, for the ETag").isPositive();
                })
                .verifyComplete();
        sessions.touchAndFind("t-finder", IDLE, MAX_AGE, role, "no-such-role")
                .as(StepVerifier::create)
                .assertNext(found -> {
                    assertThat(found.session()).as("the session, without a document").isNotNull();
                    assertThat(found.session().principalId()).isEqualTo("finder");
                    assertThat(found.document()).isNull();
                })
                .verifyComplete();
        sessions.touchAndFind("t-unknown", IDLE, MAX_AGE, role, "role-1")
                .as(StepVerifier::create)
                .assertNext(found -> {
                    assertThat(found.session()).as("no session, the document all the same").isNull();
                    assertThat(found.document().id()).isEqualTo("role-1");
                })
                .verifyComplete();
        sessions.touchAndFind("t-finder", Duration.ZERO, MAX_AGE, role, "role-1")
                .as(StepVerifier::create)
                .assertNext(found -> assertThat(found.session()).as("idle for longer than 0 s: expired").isNull())
                .verifyComplete();
    }

    @Test
    void thePurgeRemovesSessionsWhosePrincipalIsGoneOrHasAnotherPassword() {
        principal("p-deleted", "$2a$hash-deleted", "role-1");
        principal("p-changed", "$2a$hash-changed", "role-1");
        principal("p-kept", "$2a$hash-kept", "role-1");
        sessions.create("t-deleted", new SessionStore.NewSession("Auth", "p-deleted", "d", "$2a$hash-deleted")).block();
        sessions.create("t-changed", new SessionStore.NewSession("Auth", "p-changed", "c", "$2a$hash-changed")).block();
        sessions.create("t-kept", new SessionStore.NewSession("Auth", "p-kept", "k", "$2a$hash-kept")).block();
        documents.delete(auth, "p-deleted").block();
        principal("p-changed", "$2a$hash-changed-again", "role-1");

        sessions.touch("t-deleted", IDLE, MAX_AGE).as(StepVerifier::create).verifyComplete();
        sessions.touch("t-changed", IDLE, MAX_AGE).as(StepVerifier::create).verifyComplete();
        sessions.touch("t-kept", IDLE, MAX_AGE).as(StepVerifier::create).expectNextCount(1).verifyComplete();
        sessions.purgeExpired(IDLE, MAX_AGE).as(StepVerifier::create).assertNext(n -> assertThat(n).isGreaterThanOrEqualTo(2))
                .verifyComplete();
        assertThat(TestSql.query(DATABASE, "SELECT token_hash FROM events_sessions "
                + "WHERE token_hash IN ('t-deleted', 't-changed', 't-kept')")).extracting(row -> row.get("token_hash"))
                .containsExactly("t-kept");
    }

    @Test
    void anAcceptedCredentialKeepsTheSessionThroughThePasswordWriteAndSettlingNarrowsIt() {
        principal("p-writer", "$2a$hash-old", "role-1");
        sessions.create("t-writer", new SessionStore.NewSession("Auth", "p-writer", "w", "$2a$hash-old")).block();
        sessions.create("t-other", new SessionStore.NewSession("Auth", "p-writer", "w", "$2a$hash-old")).block();
        sessions.acceptCredential("t-writer", "Auth", "p-writer", "$2a$hash-new").block();
        sessions.acceptCredential("t-other", "Auth", "someone-else", "$2a$hash-new").block(); // not its principal

        principal("p-writer", "$2a$hash-new", "role-1");

        sessions.touch("t-writer", IDLE, MAX_AGE).as(StepVerifier::create).expectNextCount(1).verifyComplete();
        sessions.touch("t-other", IDLE, MAX_AGE).as(StepVerifier::create).verifyComplete();
        sessions.settleCredentials("Auth", "p-writer").as(StepVerifier::create).expectNext(1L).verifyComplete();
        List<Map<String, Object>> rows = TestSql.query(DATABASE,
                "SELECT token_hash, cardinality(credentials) AS n FROM events_sessions WHERE principal_id = 'p-writer'");
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0)).containsEntry("token_hash", "t-writer").containsEntry("n", 1);
        sessions.touch("t-writer", IDLE, MAX_AGE).as(StepVerifier::create).expectNextCount(1).verifyComplete();
    }

    @Test
    void aSessionsTableFromBeforeCredentialsGetsTheColumnAndItsSessionsEnd() {
        String database = DATABASE + "_legacy";
        try (PostgreSQLCore legacy = PostgreSQLCore.connect(TestDatabase.uri(), config(database))) {
            TestSql.query(database, "CREATE TABLE events_sessions (token_hash TEXT COLLATE \"C\" PRIMARY KEY, "
                    + "principal_entity TEXT NOT NULL, principal_id TEXT NOT NULL, login TEXT NOT NULL, "
                    + "role_entity TEXT, role_id TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                    + "last_seen TIMESTAMPTZ NOT NULL DEFAULT now())");
            TestSql.query(database, "INSERT INTO events_sessions (token_hash, principal_entity, principal_id, login, "
                    + "role_entity, role_id) VALUES ('t-old', 'Auth', 'old', 'old', 'Role', 'role-1')");
            PostgreSQLDocuments store = new PostgreSQLDocuments(schema, legacy, false, JSON);
            store.migrate(Duration.ofMinutes(2));
            store.migrate(Duration.ofMinutes(2)); // idempotent
            store.insert(role(), "role-1", object("{\"role\": \"One\", \"permissions\": {\"*\": \"r\"}}")).block();
            store.insert(auth, "old", object("{\"name\": \"old\", \"password\": \"$2a$x\", \"roleId\": \"role-1\"}"))
                    .block();
            store.sessions().touch("t-old", IDLE, MAX_AGE).as(StepVerifier::create).verifyComplete();
            store.sessions().create("t-new", new SessionStore.NewSession("Auth", "old", "old", "$2a$x")).block();
            store.sessions().touch("t-new", IDLE, MAX_AGE).as(StepVerifier::create).expectNextCount(1).verifyComplete();
        }
    }

    private static void principal(String id, String passwordHash, String roleId) {
        ObjectNode data = object("{\"name\": \"" + id + "\", \"password\": \"" + passwordHash + "\", \"roleId\": \""
                + roleId + "\"}");
        documents.find(auth, id)
                .flatMap(found -> documents.replace(auth, id, data, List.of()))
                .switchIfEmpty(Mono.defer(() -> documents.insert(auth, id, data)))
                .block();
    }

    private static Entity role() {
        return schema.entity("Role").orElseThrow();
    }

    private static EventsConfig config(String database) {
        return new ConfigLoader().load(null, Map.of("EVENTS_DB_NAME", database, "EVENTS_POOL_MIN", "1",
                "EVENTS_POOL_MAX", "4"));
    }

    private static ObjectNode object(String json) {
        return (ObjectNode) JSON.readTree(json);
    }
}
