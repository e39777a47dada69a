package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.client.WebClient;

import events.EventsServer;
import events.db.postgresql.EmbeddedPostgreSQL;
import events.support.TestSql;
import events.support.TestServers;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import reactor.core.publisher.Flux;

/**
 * The pool under pressure and the database going away (design.md "The pool"): 503 with
 * {@code Retry-After} within the acquire timeout, recovery without a restart, and no accidental
 * serialisation of requests.
 */
final class DatabaseAvailabilityIntegrationTests {

    @Test
    void exhaustedPoolAnswers503WithRetryAfterWithinTheAcquireTimeout() throws Exception {
        String database = "events_it_pool_" + ProcessHandle.current().pid();
        try (EventsServer server = TestServers.start(Map.of("EVENTS_DB_NAME", database, "EVENTS_POOL_MIN", "1",
                "EVENTS_POOL_MAX", "1", "EVENTS_POOL_ACQUIRE_TIMEOUT_MS", "500"));
             Locker locker = new Locker(database)) {
            WebClient web = web(server);
            locker.lock("Account");
            CompletableFuture<HttpStatus> blocked = status(web, "/api/Account");
            locker.awaitWaiters(1);
            long start = System.nanoTime();
            var response = web.get().uri("/api/Role").exchangeToMono(r -> r.toEntity(String.class)).block();
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(response.getStatusCode().value()).isEqualTo(503);
            assertThat(response.getHeaders().getFirst("Retry-After")).isEqualTo("2");
            assertThat(response.getBody()).contains("\"unavailable\"").contains("\"status\":\"error\"");
            assertThat(elapsedMs).as("fails fast, not queued forever").isLessThan(5_000);
            locker.release();
            assertThat(blocked.get(30, TimeUnit.SECONDS)).isEqualTo(HttpStatus.OK);
        }
    }

    @Test
    void concurrentRequestsRunOnDifferentConnections() throws Exception {
        String database = "events_it_concurrency_" + ProcessHandle.current().pid();
        try (EventsServer server = TestServers.start(Map.of("EVENTS_DB_NAME", database, "EVENTS_POOL_MIN", "2",
                "EVENTS_POOL_MAX", "4"));
             Locker locker = new Locker(database)) {
            WebClient web = web(server);
            locker.lock("Account");
            CompletableFuture<HttpStatus> first = status(web, "/api/Account");
            CompletableFuture<HttpStatus> second = status(web, "/api/Account?page=2");
            // Both wait on the lock at the same time, each in its own backend: the pool serialised nothing.
            assertThat(locker.awaitWaiters(2)).isEqualTo(2);
            locker.release();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(HttpStatus.OK);
            assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(HttpStatus.OK);
        }
    }

    @Test
    void stoppedDatabaseGives503AndTheServerRecoversWhenItReturns() throws Exception {
        Path root = Files.createTempDirectory("events-outage");
        Path data = root.resolve("data");
        int port = freePort();
        EmbeddedPostgreSQL postgres = EmbeddedPostgreSQL.start(data, port);
        try (EventsServer server = TestServers.start(Map.of("EVENTS_DB_URI", postgres.uri(),
                "EVENTS_POOL_ACQUIRE_TIMEOUT_MS", "1000", "EVENTS_POOL_MIN", "2"))) {
            WebClient web = web(server);
            assertThat(status(web, "/api/Account").get(10, TimeUnit.SECONDS)).isEqualTo(HttpStatus.OK);

            postgres.close();
            long start = System.nanoTime();
            var down = web.get().uri("/api/Account").exchangeToMono(r -> r.toEntity(String.class)).block();
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(down.getStatusCode().value()).isEqualTo(503);
            assertThat(down.getHeaders().getFirst("Retry-After")).isNotBlank();
            assertThat(down.getBody()).contains("unavailable").doesNotContain("Exception").doesNotContain("SQL");
            assertThat(elapsedMs).as("within the acquire timeout plus slack").isLessThan(5_000);
            String report = web.get().uri("/api/db/report").retrieve().bodyToMono(String.class).block();
            assertThat(report).contains("\"status\":\"error\"");
            assertThat(web.get().uri("/actuator/health/readiness").exchangeToMono(r -> r.toEntity(String.class))
                    .block().getStatusCode().value()).isEqualTo(503);

            postgres = EmbeddedPostgreSQL.start(data, port);
            HttpStatus recovered = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && recovered != HttpStatus.OK) {
                recovered = status(web, "/api/Account").get(10, TimeUnit.SECONDS);
                Thread.sleep(200);
            }
            assertThat(recovered).as("recovers without a restart").isEqualTo(HttpStatus.OK);
        } finally {
            postgres.close();
            TestServers.delete(root);
        }
    }

    /** In production a database outage during {@code db/init} is a 503, not a 401. */
    @Test
    void initInProductionWithTheDatabaseDownIsUnavailable() throws Exception {
        Path root = Files.createTempDirectory("events-init-outage");
        Path data = root.resolve("data");
        int port = freePort();
        EmbeddedPostgreSQL postgres = EmbeddedPostgreSQL.start(data, port);
        try (EventsServer server = TestServers.start(Map.of("EVENTS_DB_URI", postgres.uri(),
                "EVENTS_ENVIRONMENT", "production", "EVENTS_POOL_ACQUIRE_TIMEOUT_MS", "1000"))) {
            WebClient web = web(server);
            postgres.close();
            var answer = web.post().uri("/api/db/init").header("Content-Type", "application/json")
                    .bodyValue("{\"confirmed\": true}").exchangeToMono(r -> r.toEntity(String.class))
                    .block(Duration.ofSeconds(20));
            assertThat(answer.getStatusCode().value()).isEqualTo(503);
            assertThat(answer.getHeaders().getFirst("Retry-After")).isNotBlank();
            assertThat(answer.getBody()).contains("unavailable");
        } finally {
            postgres.close();
            TestServers.delete(root);
        }
    }

    /** Issue 8: with every pooled connection idle and dead, the first request after the restart succeeds. */
    @Test
    void firstRequestAfterADatabaseRestartSucceeds() throws Exception {
        Path root = Files.createTempDirectory("events-restart");
        Path data = root.resolve("data");
        int port = freePort();
        EmbeddedPostgreSQL postgres = EmbeddedPostgreSQL.start(data, port);
        try (EventsServer server = TestServers.start(Map.of("EVENTS_DB_URI", postgres.uri(),
                "EVENTS_POOL_MIN", "10", "EVENTS_POOL_MAX", "10"))) {
            WebClient web = web(server);
            List<CompletableFuture<HttpStatus>> warm = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                warm.add(status(web, "/api/Account?page=" + (i + 1)));
            }
            for (CompletableFuture<HttpStatus> request : warm) {
                assertThat(request.get(10, TimeUnit.SECONDS)).isEqualTo(HttpStatus.OK);
            }
            postgres.close();
            postgres = EmbeddedPostgreSQL.start(data, port);
            for (int i = 0; i < 10; i++) {
                assertThat(status(web, "/api/Account").get(10, TimeUnit.SECONDS)).as("request %d", i)
                        .isEqualTo(HttpStatus.OK);
            }
        } finally {
            postgres.close();
            TestServers.delete(root);
        }
    }

    /** Readiness answers DOWN, in time, when no connection is free to serve a request; UP again after. */
    @Test
    void readinessIsDownWhileNoConnectionCanServe() throws Exception {
        String database = "events_it_ready_" + ProcessHandle.current().pid();
        try (EventsServer server = TestServers.start(Map.of("EVENTS_DB_NAME", database, "EVENTS_POOL_MIN", "2",
                "EVENTS_POOL_MAX", "2", "EVENTS_POOL_ACQUIRE_TIMEOUT_MS", "1000"));
             Locker locker = new Locker(database)) {
            WebClient web = web(server);
            WebClient plain = WebClient.builder().baseUrl("http://localhost:" + server.port()).build();
            locker.lock("Account");
            CompletableFuture<HttpStatus> first = status(web, "/api/Account");
            CompletableFuture<HttpStatus> second = status(web, "/api/Account?page=2");
            assertThat(locker.awaitWaiters(2)).isEqualTo(2);
            long start = System.nanoTime();
            var readiness = plain.get().uri("/actuator/health/readiness")
                    .exchangeToMono(r -> r.toEntity(String.class)).block(Duration.ofSeconds(10));
            assertThat(readiness.getStatusCode().value()).isEqualTo(503);
            assertThat(readiness.getBody()).contains("\"database\"", "DOWN");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            locker.release();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(HttpStatus.OK);
            assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(HttpStatus.OK);
            assertThat(plain.get().uri("/actuator/health/readiness").exchangeToMono(r -> r.toEntity(String.class))
                    .block(Duration.ofSeconds(10)).getStatusCode().value()).isEqualTo(200);
        }
    }

    private static WebClient web(EventsServer server) {
        return WebClient.builder().baseUrl("http://localhost:" + server.port())
                .defaultCookie("sessionId", TestServers.sessionCookie(server)).build();
    }

    private static CompletableFuture<HttpStatus> status(WebClient web, String path) {
        return web.get().uri(path).exchangeToMono(r -> r.releaseBody().thenReturn(HttpStatus.valueOf(r.statusCode().value())))
                .toFuture();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A second client that holds a table lock so the server's queries wait, and watches them wait. */
    private static final class Locker implements AutoCloseable {
        private final PostgresqlConnection connection;
        private final String database;

        Locker(String database) {
            var builder = TestSql.connection(database).applicationName("events-test-locker");
            this.connection = new PostgresqlConnectionFactory(builder.build()).create().block(Duration.ofSeconds(10));
            this.database = database;
        }

        void lock(String table) {
            connection.beginTransaction().block();
            connection.createStatement("LOCK TABLE \"" + table + "\" IN ACCESS EXCLUSIVE MODE").execute()
                    .flatMap(r -> r.getRowsUpdated()).blockLast();
        }

        /** Waits until {@code count} server backends are blocked on a lock; returns how many distinct ones. */
        long awaitWaiters(int count) throws InterruptedException {
            long waiting = 0;
            for (int i = 0; i < 200 && waiting < count; i++) {
                waiting = Flux.from(connection.createStatement("SELECT count(DISTINCT pid) FROM pg_stat_activity "
                                + "WHERE datname = $1 AND application_name = 'events-server' AND wait_event_type = 'Lock'")
                                .bind("$1", database).execute())
                        .flatMap(r -> r.map(row -> row.get(0, Long.class))).blockFirst();
                Thread.sleep(50);
            }
            return waiting;
        }

        void release() {
            connection.rollbackTransaction().block();
        }

        @Override
        public void close() {
            connection.close().block();
        }
    }

}
