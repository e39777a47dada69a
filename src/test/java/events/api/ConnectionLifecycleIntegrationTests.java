package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import events.EventsServer;
import events.support.RawHttp;
import events.support.TestServers;
import events.support.TestSql;

/**
 * Clients as they behave on the wire (issue 8): requests back to back on one kept-alive connection,
 * clients that vanish at any moment of a request, streams read slowly or not at all. Checked over raw
 * sockets, and on PostgreSQL's side through {@code pg_stat_activity}.
 */
final class ConnectionLifecycleIntegrationTests {

    private static final String DATABASE = "events_it_lifecycle_" + ProcessHandle.current().pid();
    private static final int URLS = 30_000;
    private static final Duration PATIENCE = Duration.ofSeconds(5);
    private static EventsServer server;
    private static String cookie;

    @BeforeAll
    static void start() {
        server = TestServers.start(Map.of("EVENTS_DB_NAME", DATABASE, "EVENTS_POOL_MAX", "10", "EVENTS_POOL_MIN", "2",
                "EVENTS_STREAM_STALL_SECONDS", "2"));
        cookie = TestServers.sessionCookie(server);
        TestSql.query(DATABASE, "INSERT INTO \"Url\" (id, data) SELECT 'url-' || lpad(i::text, 7, '0'), "
                + "jsonb_build_object('url', 'https://example.org/page/' || i || '?q=' || repeat(md5(i::text), 10), "
                + "'createdAt', '2026-01-01', 'updatedAt', '2026-01-01T00:00:00.000Z') "
                + "FROM generate_series(1, " + URLS + ") AS i");
        TestSql.query(DATABASE, "ANALYZE \"Url\"");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Reactor Netty 1.3.6 left ~5-15% of these second requests unread (reactor-netty #4361). */
    @Test
    void answersPipelinedPairsWithoutWaiting() throws IOException {
        List<String> withoutDatabase = List.of(RawHttp.get("/api/metadata", null),
                RawHttp.get("/api/Url?page=0", cookie), RawHttp.get("/api/NoSuchEntity", cookie));
        try (RawHttp http = RawHttp.connect(server.port(), PATIENCE)) {
            for (int i = 0; i < 300; i++) {
                String first = withoutDatabase.get(i % withoutDatabase.size());
                http.send(first + RawHttp.get("/api/Url?pageSize=2&page=" + (1 + i % 50), cookie));
                assertThat(http.read().status()).isIn(200, 400, 404);
                RawHttp.Response second = http.read();
                assertThat(second.status()).as("pair %d", i).isEqualTo(200);
                assertThat(second.text()).contains("\"status\":\"success\"");
            }
        }
    }

    @Test
    void answersBackToBackPairsWithoutWaiting() throws IOException {
        try (RawHttp http = RawHttp.connect(server.port(), PATIENCE)) {
            for (int i = 0; i < 300; i++) {
                assertThat(http.send(RawHttp.get(i % 2 == 0 ? "/api/metadata" : "/api/Url?sort=nosuch", cookie))
                        .read().status()).isIn(200, 400);
                assertThat(http.send(RawHttp.get("/api/Url/url-" + String.format("%07d", 1 + i), cookie))
                        .read().status()).as("request %d", i).isEqualTo(200);
            }
        }
    }

    /**
     * Hundreds of requests cut by a reset 0-30 ms after they were sent, at every stage of their work
     * (acquiring, inside a transaction, streaming): afterwards every request succeeds and no backend is
     * left inside a transaction.
     */
    @Test
    void clientsThatVanishLeaveNothingBehind() throws Exception {
        Random random = new Random(8);
        List<String> requests = List.of(
                RawHttp.get("/api/Url", cookie, "Accept: application/x-ndjson"),
                RawHttp.get("/api/Url?sort=url:desc", cookie, "Accept: application/x-ndjson"),
                RawHttp.get("/api/Url?page=100000", cookie),
                RawHttp.get("/api/Url?filter=url:page/1&pageSize=100", cookie),
                RawHttp.get("/api/Url/url-0000007", cookie),
                RawHttp.withBody("POST", "/api/Account", cookie, "{\"name\": \"vanishing account\"}"));
        for (int i = 0; i < 300; i++) {
            RawHttp http = RawHttp.connect(server.port(), PATIENCE);
            http.send(requests.get(random.nextInt(requests.size())));
            int wait = random.nextInt(31);
            if (wait > 0) {
                TimeUnit.MILLISECONDS.sleep(wait);
            }
            http.reset();
        }
        assertFollowUpsSucceed(200);
        assertNoBackendInTransaction();
    }

    /**
     * Streams cut right after they were sent (issue 8: 2-3 backends stayed active for ever and every
     * database request hung, readiness included). Afterwards login, readiness and requests all work.
     */
    @Test
    void abandonedStreamsDoNotWedgeTheServer() throws Exception {
        for (int i = 0; i < 100; i++) {
            RawHttp http = RawHttp.connect(server.port(), PATIENCE);
            http.send(RawHttp.get(i % 2 == 0 ? "/api/Url" : "/api/Url?sort=url:desc", cookie,
                    "Accept: application/x-ndjson"));
            if (i % 3 == 0) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            http.reset();
        }
        try (RawHttp http = RawHttp.connect(server.port(), PATIENCE)) {
            RawHttp.Response login = http.send(RawHttp.withBody("POST", "/api/login", null,
                    "{\"login\": \"" + TestServers.ADMIN + "\", \"password\": \"" + TestServers.ADMIN_PASSWORD + "\"}"))
                    .read();
            assertThat(login.status()).isEqualTo(200);
            assertThat(http.send(RawHttp.get("/actuator/health/readiness", null)).read().status()).isEqualTo(200);
        }
        assertFollowUpsSucceed(50);
        assertNoBackendInTransaction();
    }

    /** Streams that nobody reads are ended after {@code stream_stall_seconds}, and give their connection back. */
    @Test
    void stalledStreamsAreEndedAndReleaseTheirConnections() throws Exception {
        List<RawHttp> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawHttp http = RawHttp.connect(server.port(), Duration.ofSeconds(15), 4096);
                http.send(RawHttp.get("/api/Url", cookie, "Accept: application/x-ndjson"));
                stalled.add(http);
            }
            long sent = System.nanoTime();
            TimeUnit.MILLISECONDS.sleep(500);
            assertFollowUpsSucceed(20); // the other requests are served meanwhile
            // Read nothing for twice the stall time; then the server has ended each stream: what was in
            // flight arrives, then the connection closes, long before the ~10 MB of the whole list.
            TimeUnit.NANOSECONDS.sleep(Math.max(0, Duration.ofSeconds(4).toNanos() - (System.nanoTime() - sent)));
            for (RawHttp http : stalled) {
                assertThat(http.closedByServer()).isTrue();
            }
        } finally {
            for (RawHttp http : stalled) {
                http.close();
            }
        }
        assertNoBackendInTransaction();
    }

    /** Streams together hold at most half the pool: one beyond that waits, then gets a 503 envelope. */
    @Test
    void streamsHoldAtMostHalfThePool() throws Exception {
        String database = DATABASE + "_small";
        EventsServer small = TestServers.start(Map.of("EVENTS_DB_NAME", database, "EVENTS_POOL_MAX", "4",
                "EVENTS_POOL_MIN", "1",
                "EVENTS_POOL_ACQUIRE_TIMEOUT_MS", "1000", "EVENTS_STREAM_STALL_SECONDS", "20"));
        String smallCookie = TestServers.sessionCookie(small);
        TestSql.query(database, "INSERT INTO \"Url\" (id, data) SELECT 'url-' || lpad(i::text, 7, '0'), "
                + "jsonb_build_object('url', 'https://example.org/page/' || i || '?q=' || repeat(md5(i::text), 10)) "
                + "FROM generate_series(1, " + URLS + ") AS i");
        List<RawHttp> readers = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                RawHttp http = RawHttp.connect(small.port(), PATIENCE, 4096);
                http.send(RawHttp.get("/api/Url", smallCookie, "Accept: application/x-ndjson"));
                readers.add(http);
            }
            TimeUnit.MILLISECONDS.sleep(500);
            try (RawHttp third = RawHttp.connect(small.port(), PATIENCE)) {
                RawHttp.Response refused = third.send(RawHttp.get("/api/Url", smallCookie,
                        "Accept: application/x-ndjson")).read();
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.headers()).containsKey("retry-after");
                assertThat(refused.text()).contains("\"type\":\"unavailable\"");
            }
            try (RawHttp other = RawHttp.connect(small.port(), PATIENCE)) {
                for (int i = 0; i < 10; i++) {
                    assertThat(other.send(RawHttp.get("/api/Url?pageSize=5", smallCookie)).read().status())
                            .isEqualTo(200);
                }
            }
        } finally {
            for (RawHttp http : readers) {
                http.close();
            }
            small.close();
        }
    }

    /** Mixed requests on one kept-alive connection, every one answered with success. */
    private static void assertFollowUpsSucceed(int count) throws IOException {
        try (RawHttp http = RawHttp.connect(server.port(), PATIENCE)) {
            for (int i = 0; i < count; i++) {
                String request = switch (i % 5) {
                    case 0 -> RawHttp.get("/api/Url?page=100000", cookie);
                    case 1 -> RawHttp.get("/api/Url?pageSize=25&page=" + (1 + i), cookie);
                    case 2 -> RawHttp.get("/api/Url/url-0000003", cookie);
                    case 3 -> RawHttp.get("/api/Url?filter=url:page/2&pageSize=3", cookie, "Accept: application/x-ndjson");
                    default -> RawHttp.withBody("POST", "/api/Account", cookie, "{\"name\": \"follow-up account\"}");
                };
                RawHttp.Response response = http.send(request).read();
                assertThat(response.status()).as("follow-up %d: %s", i, response.text()).isIn(200, 201);
            }
        }
    }

    /** Waits (a little) for cleanup to settle, then finds no server backend inside a transaction or busy. */
    private static void assertNoBackendInTransaction() throws InterruptedException {
        String sql = "SELECT state, left(query, 80) AS query FROM pg_stat_activity WHERE datname = current_database() "
                + "AND application_name = 'events-server' AND state <> 'idle'";
        List<Map<String, Object>> busy = List.of();
        for (int i = 0; i < 50; i++) {
            busy = TestSql.query(DATABASE, sql);
            if (busy.isEmpty()) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        assertThat(busy).as("server backends not idle").isEmpty();
    }
}
