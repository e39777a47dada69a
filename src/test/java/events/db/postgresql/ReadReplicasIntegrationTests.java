package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.support.StreamingReplica;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Read replicas against a real streaming replica built here from the machine's PostgreSQL (issue 14,
 * part 2): lists, counts and streams go to the replica; a session's own writes are read from the
 * primary until the replica has replayed them; a lagging or stopped replica is skipped.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class ReadReplicasIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_replicas";
    private static StreamingReplica cluster;
    /** Tolerates a replica up to a minute behind: pausing its replay does not make it skipped. */
    private static EventsServer tolerant;
    /** Skips a replica more than 300 ms behind. */
    private static EventsServer strict;
    private static String admin;
    private static String reader;

    @BeforeAll
    static void start() {
        assumeTrue(StreamingReplica.available(), "PostgreSQL binaries (initdb, pg_ctl, pg_basebackup, postgres) "
                + "are not in " + StreamingReplica.BIN + ": no streaming replica can be built; set EVENTS_PG_BIN");
        cluster = new StreamingReplica();
        tolerant = server("60000");
        strict = server("300");
        admin = TestServers.sessionCookie(tolerant);
        as(tolerant, admin).post().uri("/api/Role").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("id", "replica-reader", "role", "Replica reader", "permissions", Map.of("*", "r")))
                .exchange().expectStatus().isCreated();
        as(tolerant, admin).post().uri("/api/Auth").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", "replica-reader", "password", "reader-pass", "roleId", "replica-reader"))
                .exchange().expectStatus().isCreated();
        reader = TestServers.anonymous(tolerant).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("login", "replica-reader", "password", "reader-pass")).exchange().expectStatus().isOk()
                .returnResult(String.class).getResponseCookies().getFirst("sessionId").getValue();
        awaitReplica(tolerant, "up");
        awaitReplica(strict, "up");
    }

    private static EventsServer server(String maxLagMs) {
        return TestServers.start(Map.of("EVENTS_DB_URI", cluster.primaryUri(), "EVENTS_DB_NAME", DATABASE,
                "EVENTS_DB_READ_URIS", cluster.replicaUri(), "EVENTS_REPLICA_PROBE_MS", "50",
                "EVENTS_MAX_REPLICA_LAG_MS", maxLagMs, "EVENTS_SESSION_SECURE_COOKIE", "false"));
    }

    @AfterAll
    static void stop() {
        try {
            for (EventsServer server : new EventsServer[] {tolerant, strict}) {
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

    @Test
    @Order(1)
    void listsCountsAndStreamsOfASessionWithoutWritesGoToTheReplica() {
        String id = create(admin, "Listed on the replica");
        awaitReplicaPast(tolerant);
        long before = replica(tolerant).path("reads").asLong();
        JsonNode page = read(as(tolerant, reader).get().uri("/api/Account?count=exact").exchange());
        assertThat(names(page)).contains("Listed on the replica");
        as(tolerant, reader).get().uri("/api/Account").accept(MediaType.APPLICATION_NDJSON).exchange()
                .expectStatus().isOk().expectBody(String.class).value(body -> assertThat(body).contains(id));
        assertThat(replica(tolerant).path("reads").asLong()).isGreaterThanOrEqualTo(before + 2);
        // The replica itself saw the server's list statement.
        assertThat(cluster.replicaLog()).contains("FROM \"Account\"").contains("DECLARE events_stream");
        // GET one stays on the primary: its session check writes (last_seen), in the same statement.
        as(tolerant, reader).get().uri("/api/Account/" + id).exchange().expectStatus().isOk();
    }

    @Test
    @Order(2)
    void theWriterReadsItsOwnWriteWhileTheReplicaIsPausedAndOthersMaySeeTheReplica() {
        TestSql.queryAt(cluster.replicaUri(), DATABASE, "SELECT pg_wal_replay_pause()");
        try {
            create(admin, "Written while paused");
            assertThat(names(read(as(tolerant, admin).get().uri("/api/Account?count=exact").exchange())))
                    .contains("Written while paused");
            assertThat(names(read(as(tolerant, admin).get().uri("/api/Account?count=none").exchange())))
                    .contains("Written while paused");
            // Login reads its principal on the primary: one created while the replica is paused logs in at once.
            as(tolerant, admin).post().uri("/api/Auth").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("name", "paused-login", "password", "paused-pass", "roleId", "replica-reader"))
                    .exchange().expectStatus().isCreated();
            TestServers.anonymous(tolerant).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "paused-login", "password", "paused-pass")).exchange()
                    .expectStatus().isOk();
            // A session that did not write reads the replica, a minute's lag allowed: the write is not there yet.
            assertThat(names(read(as(tolerant, reader).get().uri("/api/Account").exchange())))
                    .doesNotContain("Written while paused");
            // The strict server skips the replica once the probe sees it more than 300 ms behind.
            awaitReplica(strict, "lagging");
            assertThat(names(read(as(strict, reader).get().uri("/api/Account").exchange())))
                    .contains("Written while paused");
            assertThat(report(strict).path("report").path("details").path("replicas").get(0).path("lagMs").asLong())
                    .isGreaterThan(300);
        } finally {
            TestSql.queryAt(cluster.replicaUri(), DATABASE, "SELECT pg_wal_replay_resume()");
        }
        awaitReplica(strict, "up");
        awaitReplicaPast(tolerant);
        assertThat(names(read(as(tolerant, reader).get().uri("/api/Account").exchange())))
                .contains("Written while paused");
    }

    @Test
    @Order(3)
    void theMetricsShowEachReplicaAndWhereReadsWent() {
        String metrics = TestServers.anonymous(tolerant).get().uri("/actuator/prometheus").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(metrics).contains("events_db_replica_lag_milliseconds{replica=\"postgresql://postgres@127.0.0.1:")
                .contains("events_db_replica_up{").contains("events_db_replica_reads_total{target=\"primary\"}");
        JsonNode config = report(tolerant).path("report").path("config");
        assertThat(config.path("db_read_uris").get(0).asString()).startsWith("postgresql://postgres@127.0.0.1:");
    }

    @Test
    @Order(4)
    void readsKeepSucceedingWhenTheReplicaStopsAndUseItAgainWhenItIsBack() {
        create(admin, "Before the replica stopped");
        cluster.stopReplica();
        try {
            // Before any probe noticed too: the failed replica read runs again on the primary.
            for (int i = 0; i < 5; i++) {
                assertThat(names(read(as(tolerant, reader).get().uri("/api/Account?count=exact").exchange())))
                        .contains("Before the replica stopped");
                as(tolerant, reader).get().uri("/api/Account").accept(MediaType.APPLICATION_NDJSON)
                        .exchange().expectStatus().isOk();
            }
            awaitReplica(tolerant, "down");
            assertThat(replica(tolerant).path("error").asString()).isNotEmpty();
        } finally {
            cluster.startReplica();
        }
        awaitReplica(tolerant, "up");
        long before = replica(tolerant).path("reads").asLong();
        read(as(tolerant, reader).get().uri("/api/Account").exchange());
        assertThat(replica(tolerant).path("reads").asLong()).isGreaterThan(before);
    }

    /**
     * The pin's position is past the write's commit although this cluster commits with
     * {@code synchronous_commit = off}: the WAL written out ({@code pg_current_wal_lsn()}) can then still
     * be short of the commit when the position is read, and equal to what a replica paused just before
     * the write has replayed. Each round pauses a replica that has caught up, writes, and reads as the
     * writer (session cookie only: the pin, not the {@code events_lsn} cookie); with the written-out
     * position most rounds read the replica.
     */
    @Test
    @Order(5)
    void theWritersPinIsPastItsCommitWhateverTheWalWriterHasWrittenOut() {
        awaitReplica(tolerant, "up");
        for (int round = 0; round < 8; round++) {
            awaitReplicaPast(tolerant);
            TestSql.queryAt(cluster.replicaUri(), DATABASE, "SELECT pg_wal_replay_pause()");
            try {
                String name = "Pinned round " + round;
                create(admin, name);
                assertThat(names(read(as(tolerant, admin).get().uri("/api/Account?pageSize=1000").exchange())))
                        .as("round %d", round).contains(name);
            } finally {
                TestSql.queryAt(cluster.replicaUri(), DATABASE, "SELECT pg_wal_replay_resume()");
            }
        }
    }

    private static String create(String cookie, String name) {
        return read(as(tolerant, cookie).post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", name)).exchange()).path("data").path("id").asString();
    }

    private static List<String> names(JsonNode page) {
        return page.path("data").valueStream().map(d -> d.path("name").asString()).toList();
    }

    private static JsonNode replica(EventsServer server) {
        return report(server).path("report").path("details").path("replicas").get(0);
    }

    private static JsonNode report(EventsServer server) {
        return read(TestServers.anonymous(server).get().uri("/api/db/report").exchange());
    }

    /** Waits for the probe to see the replica in {@code state}. */
    private static void awaitReplica(EventsServer server, String state) {
        await(() -> state.equals(replica(server).path("state").asString()), "replica " + state);
    }

    /** Waits until the replica has replayed everything the primary has written so far. */
    private static void awaitReplicaPast(EventsServer server) {
        String lsn = String.valueOf(TestSql.queryAt(cluster.primaryUri(), DATABASE,
                "SELECT pg_current_wal_lsn()::text AS lsn").get(0).get("lsn"));
        await(() -> Boolean.TRUE.equals(TestSql.queryAt(cluster.replicaUri(), DATABASE,
                "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS past", lsn).get(0).get("past"))
                && "up".equals(replica(server).path("state").asString()), "replica past " + lsn);
        sleep(200); // two probes: the server has seen it too
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            sleep(50);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static WebTestClient as(EventsServer server, String cookie) {
        return TestServers.anonymous(server).mutate().defaultCookie("sessionId", cookie).build();
    }

    private static JsonNode read(WebTestClient.ResponseSpec response) {
        return JSON.readTree(response.expectStatus().is2xxSuccessful().expectBody(String.class).returnResult()
                .getResponseBody());
    }
}
