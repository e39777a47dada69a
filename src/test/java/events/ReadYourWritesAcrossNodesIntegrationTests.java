package events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.support.StreamingReplica;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Read-your-writes across server processes (issue 14): two servers on one primary and one streaming
 * replica, the replica's replay paused. A write on one server answers with the {@code events_lsn}
 * cookie; the other server, which never saw the write, reads it from the primary for a client that
 * sends the cookie back, and from the replica (where the write is not yet) for a client that does not.
 */
final class ReadYourWritesAcrossNodesIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_ryw_nodes";
    private static final String LSN = "events_lsn";
    private static StreamingReplica cluster;
    private static EventsServer a;
    private static EventsServer b;
    private static String admin;

    @BeforeAll
    static void start() {
        assumeTrue(StreamingReplica.available(), "PostgreSQL binaries (initdb, pg_ctl, pg_basebackup, postgres) "
                + "are not in " + StreamingReplica.BIN + ": no streaming replica can be built; set EVENTS_PG_BIN");
        cluster = new StreamingReplica();
        // A minute's lag tolerated: a paused replica stays "up", so only read-your-writes keeps reads off it.
        Map<String, String> env = Map.of("EVENTS_DB_URI", cluster.primaryUri(), "EVENTS_DB_NAME", DATABASE,
                "EVENTS_DB_READ_URIS", cluster.replicaUri(), "EVENTS_REPLICA_PROBE_MS", "50",
                "EVENTS_MAX_REPLICA_LAG_MS", "60000", "EVENTS_READ_YOUR_WRITES_MS", "59500",
                "EVENTS_SESSION_SECURE_COOKIE", "false");
        a = TestServers.start(env);
        b = TestServers.start(env);
        admin = TestServers.sessionCookie(a);
    }

    @AfterAll
    static void stop() {
        try {
            for (EventsServer server : new EventsServer[] {a, b}) {
                if (server != null) {
                    server.close();
                }
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** Each test starts with the replica caught up and seen "up" by both servers, then pauses its replay. */
    @BeforeEach
    void pauseTheReplicaOnceItHasCaughtUp() {
        TestSql.queryAt(cluster.replicaUri(), DATABASE, "SELECT pg_wal_replay_resume()");
        // What is written out (not the insert position, which can sit past a page header no record ends at).
        String lsn = String.valueOf(TestSql.queryAt(cluster.primaryUri(), DATABASE,
                "SELECT pg_current_wal_lsn()::text AS lsn").get(0).get("lsn"));
        await(() -> Boolean.TRUE.equals(TestSql.queryAt(cluster.replicaUri(), DATABASE,
                "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS past", lsn).get(0).get("past")), "replica past " + lsn);
        TestSql.queryAt(cluster.replicaUri(), DATABASE, "SELECT pg_wal_replay_pause()");
        await(() -> "paused".equals(TestSql.queryAt(cluster.replicaUri(), DATABASE,
                "SELECT pg_get_wal_replay_pause_state() AS state").get(0).get("state")), "replay paused");
        await(() -> "up".equals(replica(a).path("state").asString()) && "up".equals(replica(b).path("state").asString()),
                "replica up on both servers");
    }

    @AfterEach
    void resumeTheReplica() {
        TestSql.queryAt(cluster.replicaUri(), DATABASE, "SELECT pg_wal_replay_resume()");
    }

    @Test
    void aWriteOnOneServerIsReadOnTheOtherByAClientThatSendsItsCookieBack() {
        EntityExchangeResult<String> created = as(a).post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", "Written on A")).exchange().expectStatus().isCreated()
                .expectBody(String.class).returnResult();
        ResponseCookie cookie = created.getResponseCookies().getFirst(LSN);
        assertThat(cookie).isNotNull();
        assertThat(cookie.getValue()).matches("[0-9A-F]{1,8}/[0-9A-F]{1,8}");
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.getSameSite()).isEqualTo("Lax");
        assertThat(cookie.getPath()).isEqualTo("/");
        assertThat(cookie.getMaxAge()).isEqualTo(Duration.ofSeconds(60)); // 59,500 ms rounded up
        assertThat(cookie.isSecure()).isFalse(); // as the session cookie, with EVENTS_SESSION_SECURE_COOKIE=false

        // B never saw the write; with the cookie it reads the primary (the paused replica lacks the write).
        long replicaReads = replica(b).path("reads").asLong();
        assertThat(names(list(b, "events_lsn=" + cookie.getValue()))).contains("Written on A");
        assertThat(names(stream(b, "events_lsn=" + cookie.getValue()))).contains("Written on A");
        assertThat(replica(b).path("reads").asLong()).isEqualTo(replicaReads);
        // Without it, B reads the replica, where the write is not yet: what the cookie prevents.
        assertThat(names(list(b, null))).doesNotContain("Written on A");
        assertThat(replica(b).path("reads").asLong()).isGreaterThan(replicaReads);
        // An older position the replica has replayed lets B use the replica.
        assertThat(names(list(b, "events_lsn=0/1"))).doesNotContain("Written on A");

        // Reads set no cookie; and A, which served the write, honours the cookie too.
        as(a).get().uri("/api/Account").cookie(LSN, cookie.getValue()).exchange().expectStatus().isOk()
                .expectCookie().doesNotExist(LSN).expectBody(String.class)
                .value(body -> assertThat(body).contains("Written on A"));
        assertThat(idleInTransaction()).isZero();
    }

    @Test
    void malformedPositionsAreIgnored() {
        as(a).post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", "Not for forged cookies")).exchange().expectStatus().isCreated();
        for (String value : List.of("", "x", "1", "1/", "/1", "1//2", "1/2/3", "123456789/0", "0/123456789", "0x1/2",
                "-1/0", "+1/0", "1/-0", "g/0", "0/G", "1.5/2", "1 /2", "%31/2", "9223372036854775807")) {
            // Ignored, not an error: the read goes to the replica as if there were no cookie.
            assertThat(names(list(b, "events_lsn=" + value))).as("events_lsn=%s", value)
                    .doesNotContain("Not for forged cookies");
        }
        // The highest position there is, well formed: the primary (a client can only slow its own reads).
        assertThat(names(list(b, "events_lsn=FFFFFFFF/FFFFFFFF"))).contains("Not for forged cookies");
        // Two cookies of that name: the highest well-formed one counts.
        assertThat(names(list(b, "events_lsn=junk; events_lsn=0/1; events_lsn=7FFFFFFF/FFFFFFFF")))
                .contains("Not for forged cookies");
        assertThat(idleInTransaction()).isZero();
    }

    @Test
    void anImportAnsweredWithProgressLinesSendsReadsToThePrimaryForTheCookiesLife() {
        EntityExchangeResult<String> imported = as(a).post().uri("/api/Account/_import")
                .contentType(MediaType.APPLICATION_NDJSON).accept(MediaType.APPLICATION_NDJSON)
                .bodyValue("{\"name\": \"Imported on A 1\"}\n{\"name\": \"Imported on A 2\"}\n").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult();
        assertThat(imported.getResponseBody()).contains("\"created\"");
        // Its headers left before its last batch committed: no position it could name is safe but the unreached one.
        String value = imported.getResponseCookies().getFirst(LSN).getValue();
        assertThat(value).isEqualTo("7FFFFFFF/FFFFFFFF");
        assertThat(names(list(b, "events_lsn=" + value))).contains("Imported on A 1", "Imported on A 2");
        assertThat(names(list(b, null))).doesNotContain("Imported on A 1");

        // The summary answer leaves after the commit: an exact position.
        EntityExchangeResult<String> summary = as(a).post().uri("/api/Account/_import")
                .contentType(MediaType.APPLICATION_NDJSON).bodyValue("{\"name\": \"Imported on A 3\"}\n").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult();
        String exact = summary.getResponseCookies().getFirst(LSN).getValue();
        assertThat(exact).isNotEqualTo("7FFFFFFF/FFFFFFFF");
        assertThat(names(list(b, "events_lsn=" + exact))).contains("Imported on A 3");
        assertThat(idleInTransaction()).isZero();
    }

    @Test
    void aFailedWriteAnswersWithAPositionToo() {
        // A 422 wrote nothing, but the rule is simple: every answer to a method that may write has the cookie.
        as(b).post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("nope", 1))
                .exchange().expectStatus().isEqualTo(422).expectCookie().exists(LSN);
        TestServers.anonymous(b).get().uri("/api/Account").exchange().expectStatus().isUnauthorized()
                .expectCookie().doesNotExist(LSN);
    }

    @Test
    void theOpenApiDocumentNamesTheCookie() {
        TestServers.anonymous(a).get().uri("/api/openapi.json").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.info.description").value(String.class,
                        description -> assertThat(description).contains("`events_lsn` cookie"));
    }

    /**
     * A page of Accounts on {@code server} as the administrator, sending {@code cookies} ("name=value; ..."
     * as written in a {@code Cookie} header, null for none) after the session cookie.
     */
    private static JsonNode list(EventsServer server, String cookies) {
        return JSON.readTree(TestServers.anonymous(server).get().uri("/api/Account?count=exact")
                .header("Cookie", cookieHeader(cookies)).exchange().expectStatus().isOk().expectBody(String.class)
                .returnResult().getResponseBody());
    }

    /** As {@link #list}, the NDJSON stream, its lines gathered as a page's {@code data}. */
    private static JsonNode stream(EventsServer server, String cookies) {
        String lines = TestServers.anonymous(server).get().uri("/api/Account").header("Cookie", cookieHeader(cookies))
                .accept(MediaType.APPLICATION_NDJSON).exchange().expectStatus().isOk().expectBody(String.class)
                .returnResult().getResponseBody();
        return JSON.readTree("{\"data\": [" + String.join(",", lines.strip().split("\n")) + "]}");
    }

    private static String cookieHeader(String cookies) {
        return "sessionId=" + admin + (cookies == null ? "" : "; " + cookies);
    }

    private static List<String> names(JsonNode page) {
        return page.path("data").valueStream().map(d -> d.path("name").asString()).toList();
    }

    /** Connections of the servers left inside a transaction, on the primary and on the replica. */
    private static long idleInTransaction() {
        String sql = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'";
        long[] count = new long[1];
        // A transaction that ends as its answer leaves may still be closing: give it a moment, not forever.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        do {
            count[0] = (Long) TestSql.queryAt(cluster.primaryUri(), DATABASE, sql, DATABASE).get(0).get("n")
                    + (Long) TestSql.queryAt(cluster.replicaUri(), DATABASE, sql, DATABASE).get(0).get("n");
        } while (count[0] > 0 && System.nanoTime() < deadline && sleep(100));
        return count[0];
    }

    private static JsonNode replica(EventsServer server) {
        return JSON.readTree(TestServers.anonymous(server).get().uri("/api/db/report").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody())
                .path("report").path("details").path("replicas").get(0);
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            sleep(50);
        }
    }

    private static boolean sleep(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static WebTestClient as(EventsServer server) {
        return TestServers.anonymous(server).mutate().defaultCookie("sessionId", admin).build();
    }
}
