package events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.support.TestServers;
import events.support.TestSql;

/**
 * Two server instances on one database, started at the same moment on an empty database and then
 * driven alternately over HTTP: nothing a request needs lives in one process (issue 14, part 1).
 */
final class TwoNodesIntegrationTests {

    private static final String DATABASE = "events_it_two_nodes_" + ProcessHandle.current().pid();
    private static EventsServer a;
    private static EventsServer b;

    @BeforeAll
    static void startBothAtOnce() throws Exception {
        Map<String, String> env = Map.of("EVENTS_DB_NAME", DATABASE, "EVENTS_SESSION_SECURE_COOKIE", "false");
        ExecutorService starters = Executors.newFixedThreadPool(2);
        try {
            CompletableFuture<EventsServer> first = CompletableFuture.supplyAsync(() -> TestServers.start(env), starters);
            CompletableFuture<EventsServer> second = CompletableFuture.supplyAsync(() -> TestServers.start(env), starters);
            a = first.get(120, TimeUnit.SECONDS);
            b = second.get(120, TimeUnit.SECONDS);
        } finally {
            starters.shutdown();
        }
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @Test
    void aStartOfBothAtOnceCreatesEachTableAndIndexOnce() {
        // The same definition under two names would be a duplicate; an invalid index a failed concurrent build.
        List<Map<String, Object>> duplicates = TestSql.query(DATABASE, "SELECT tablename, "
                + "regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') AS definition, count(*) AS n FROM pg_indexes "
                + "WHERE schemaname = current_schema() GROUP BY 1, 2 HAVING count(*) > 1");
        assertThat(duplicates).isEmpty();
        assertThat(TestSql.query(DATABASE, "SELECT indexrelid::regclass::text AS name FROM pg_index i "
                + "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = current_schema() AND NOT i.indisvalid")).isEmpty();
        long tables = (Long) TestSql.query(DATABASE, "SELECT count(*) AS n FROM pg_tables "
                + "WHERE schemaname = current_schema() AND tablename IN ('Role', 'Auth', 'Account', 'User')").get(0).get("n");
        assertThat(tables).isEqualTo(4);
        // Each unique key of the schema has its one unique index (Role.role here).
        assertThat(TestSql.query(DATABASE, "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                + "AND tablename = 'Role' AND indexdef LIKE 'CREATE UNIQUE INDEX%' AND indexdef NOT LIKE '%(id)%'"))
                .hasSize(1);
        // Both nodes serve: the first-run administrator was created once, by one of them.
        assertThat(TestSql.query(DATABASE, "SELECT id FROM \"Auth\" WHERE id = 'admin'")).hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void aSessionStartedOnOneNodeWorksOnTheOtherAndLogoutEndsItOnBoth() {
        String cookie = TestServers.sessionCookie(a);
        as(b, cookie).get().uri("/api/session").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.data.login").isEqualTo(TestServers.ADMIN);
        String account = createdId(post(as(b, cookie), "Account", Map.of("name", "Two nodes"))
                .expectCookie().doesNotExist("events_lsn")); // no replicas: no read-your-writes cookie
        as(a, cookie).get().uri("/api/Account/" + account).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.data.name").isEqualTo("Two nodes");

        String user = login(a, "two-nodes-user", "user-pass", "two-nodes-reader", Map.of("*", "r"));
        as(b, user).get().uri("/api/Account/" + account).exchange().expectStatus().isOk();
        as(a, user).post().uri("/api/logout").exchange().expectStatus().isOk();
        as(b, user).get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        as(a, user).get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        as(b, user).get().uri("/api/Account/" + account).exchange().expectStatus().isUnauthorized();
    }

    @Test
    void aRoleChangeOnOneNodeAppliesOnTheOther() {
        String admin = TestServers.sessionCookie(a);
        String user = login(b, "role-change-user", "user-pass", "changing-role", Map.of("*", "r"));
        post(as(a, user), "Url", Map.of("url", "https://example.org/two-nodes/1")).expectStatus().isForbidden();
        as(b, admin).put().uri("/api/Role/changing-role").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("role", "changing-role", "permissions", Map.of("*", "r", "Url", "cr")))
                .exchange().expectStatus().isOk();
        post(as(a, user), "Url", Map.of("url", "https://example.org/two-nodes/2")).expectStatus().isCreated();
        as(a, admin).put().uri("/api/Role/changing-role").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("role", "changing-role", "permissions", Map.of("*", "r")))
                .exchange().expectStatus().isOk();
        post(as(b, user), "Url", Map.of("url", "https://example.org/two-nodes/3")).expectStatus().isForbidden();
    }

    @Test
    void concurrentUniqueCreatesAcrossTheNodesHaveOneWinnerEach() throws Exception {
        String cookie = TestServers.sessionCookie(a);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<List<HttpStatus>>> pairs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Map<String, Object> body = Map.of("role", "unique-" + i, "permissions", Map.of("*", "r"));
                CompletableFuture<HttpStatus> onA = CompletableFuture.supplyAsync(() -> status(post(as(a, cookie), "Role", body)), pool);
                CompletableFuture<HttpStatus> onB = CompletableFuture.supplyAsync(() -> status(post(as(b, cookie), "Role", body)), pool);
                pairs.add(onA.thenCombine(onB, List::of));
            }
            for (CompletableFuture<List<HttpStatus>> pair : pairs) {
                assertThat(pair.get(60, TimeUnit.SECONDS)).containsExactlyInAnyOrder(HttpStatus.CREATED, HttpStatus.CONFLICT);
            }
        } finally {
            pool.shutdown();
        }
        assertThat(TestSql.query(DATABASE, "SELECT data->>'role' AS role FROM \"Role\" WHERE data->>'role' LIKE 'unique-%'"))
                .hasSize(20);
    }

    /** A role with {@code permissions} and an Auth principal in it (made on {@code node}); the login's cookie. */
    private static String login(EventsServer node, String name, String password, String role, Map<String, String> permissions) {
        String admin = TestServers.sessionCookie(a);
        post(as(node, admin), "Role", Map.of("id", role, "role", role, "permissions", permissions)).expectStatus().isCreated();
        post(as(node, admin), "Auth", Map.of("name", name, "password", password, "roleId", role)).expectStatus().isCreated();
        return TestServers.anonymous(node).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("login", name, "password", password)).exchange().expectStatus().isOk()
                .returnResult(String.class).getResponseCookies().getFirst("sessionId").getValue();
    }

    private static WebTestClient as(EventsServer node, String cookie) {
        return TestServers.anonymous(node).mutate().defaultCookie("sessionId", cookie).build();
    }

    private static WebTestClient.ResponseSpec post(WebTestClient client, String entity, Object body) {
        return client.post().uri("/api/" + entity).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private static HttpStatus status(WebTestClient.ResponseSpec response) {
        return HttpStatus.valueOf(response.returnResult(String.class).getStatus().value());
    }

    private static String createdId(WebTestClient.ResponseSpec response) {
        return response.expectStatus().isCreated().returnResult(Map.class).getResponseBody().blockFirst()
                .get("data") instanceof Map<?, ?> data ? String.valueOf(data.get("id")) : null;
    }
}
