package events.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A session belongs to its principal (api.md 9.1), over HTTP with two clients logged in as the same
 * principal: deleting the principal ends both at once, a new role key applies to both on their next
 * request, and a new password ends every session but the one that set it.
 */
final class PrincipalSessionsIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_it_principal_" + ProcessHandle.current().pid();
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EventsServer server;
    private static WebTestClient admin;
    private static String accountId;

    @BeforeAll
    static void start() {
        server = TestServers.start(Map.of("EVENTS_DB_NAME", DATABASE, "EVENTS_SESSION_SECURE_COOKIE", "false"));
        admin = TestServers.client(server);
        post(admin, "Role", Map.of("id", "reader", "role", "Reader", "permissions", Map.of("*", "r")))
                .expectStatus().isCreated();
        post(admin, "Role", Map.of("id", "writer", "role", "Writer", "permissions", Map.of("*", "crud")))
                .expectStatus().isCreated();
        // May change its own Auth document (its password included), and nothing else.
        post(admin, "Role", Map.of("id", "self", "role", "Self", "permissions", Map.of("*", "r", "Auth", "ru")))
                .expectStatus().isCreated();
        accountId = id(post(admin, "Account", Map.of("name", "Principal Holdings")).expectStatus().isCreated());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void deletingThePrincipalEndsItsSessionsAtOnce() {
        String name = unique("gone");
        String id = auth(name, "gone-password", "reader");
        WebTestClient first = as(cookie("/api/login", name, "gone-password"));
        WebTestClient second = as(cookie("/api/login", name, "gone-password"));
        first.get().uri("/api/Account").exchange().expectStatus().isOk();
        second.get().uri("/api/session").exchange().expectStatus().isOk();

        admin.delete().uri("/api/Auth/" + id).exchange().expectStatus().isOk();

        first.get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        first.get().uri("/api/Account").exchange().expectStatus().isUnauthorized();
        second.get().uri("/api/Account").exchange().expectStatus().isUnauthorized();
        second.post().uri("/api/refresh").exchange().expectStatus().isUnauthorized();
        // The same id and password again make another principal: the old sessions stay ended.
        post(admin, "Auth", Map.of("id", id, "name", name, "password", "gone-password", "roleId", "reader"))
                .expectStatus().isCreated();
        first.get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        admin.get().uri("/api/session").exchange().expectStatus().isOk();
    }

    @Test
    void deletingAUserPrincipalEndsItsSessionsToo() {
        String username = unique("user");
        String id = user(username, "user-password", "reader");
        WebTestClient first = as(cookie("/api/login/user", username, "user-password"));
        WebTestClient second = as(cookie("/api/login/user", username, "user-password"));
        first.get().uri("/api/Event").exchange().expectStatus().isOk();

        admin.delete().uri("/api/User/" + id).exchange().expectStatus().isOk();

        first.get().uri("/api/Event").exchange().expectStatus().isUnauthorized();
        second.get().uri("/api/session").exchange().expectStatus().isUnauthorized();
    }

    @Test
    void aNewRoleKeyAppliesToEverySessionOnItsNextRequest() {
        String name = unique("promoted");
        String id = auth(name, "promoted-password", "reader");
        WebTestClient first = as(cookie("/api/login", name, "promoted-password"));
        WebTestClient second = as(cookie("/api/login", name, "promoted-password"));
        JsonNode before = read(first.get().uri("/api/session").exchange().expectStatus().isOk());
        assertThat(before.path("data").path("roleId").asString()).isEqualTo("reader");
        assertThat(before.path("data").path("permissions").path("entity").path("Account").asString()).isEqualTo("r");
        post(first, "Account", Map.of("name", "Not Yet Inc")).expectStatus().isForbidden();

        // A replacement without the password keeps it (and so every session).
        admin.put().uri("/api/Auth/" + id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", name, "roleId", "writer")).exchange().expectStatus().isOk();

        JsonNode after = read(first.get().uri("/api/session").exchange().expectStatus().isOk());
        assertThat(after.path("data").path("login").asString()).isEqualTo(name);
        assertThat(after.path("data").path("roleId").asString()).isEqualTo("writer");
        assertThat(after.path("data").path("permissions").path("entity").path("Account").asString()).isEqualTo("crud");
        post(first, "Account", Map.of("name", "Promoted Inc")).expectStatus().isCreated();
        post(second, "Account", Map.of("name", "Promoted Too Inc")).expectStatus().isCreated();

        admin.put().uri("/api/Auth/" + id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", name, "roleId", "reader")).exchange().expectStatus().isOk();
        post(second, "Account", Map.of("name", "Demoted Inc")).expectStatus().isForbidden();
        read(second.get().uri("/api/session").exchange().expectStatus().isOk());
    }

    @Test
    void aPasswordChangeEndsEveryOtherSessionButKeepsTheOneThatMadeIt() {
        String name = unique("changer");
        String id = auth(name, "first-password", "self");
        WebTestClient changer = as(cookie("/api/login", name, "first-password"));
        WebTestClient other = as(cookie("/api/login", name, "first-password"));
        other.get().uri("/api/session").exchange().expectStatus().isOk();

        changer.put().uri("/api/Auth/" + id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", name, "password", "second-password", "roleId", "self"))
                .exchange().expectStatus().isOk();

        other.get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        other.get().uri("/api/Account").exchange().expectStatus().isUnauthorized();
        changer.get().uri("/api/session").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.data.login").isEqualTo(name);
        changer.get().uri("/api/Account").exchange().expectStatus().isOk();
        login("/api/login", name, "first-password").expectStatus().isUnauthorized();
        WebTestClient fresh = as(cookie("/api/login", name, "second-password"));

        // Again, from the surviving session: it still survives, and the new session ends.
        changer.put().uri("/api/Auth/" + id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", name, "password", "third-password", "roleId", "self"))
                .exchange().expectStatus().isOk();
        fresh.get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        changer.get().uri("/api/session").exchange().expectStatus().isOk();
        assertThat(TestSql.query(DATABASE, "SELECT count(*) AS n FROM events_sessions WHERE principal_id = $1", id)
                .get(0).get("n")).as("ended sessions are deleted, not just refused").isEqualTo(1L);
    }

    @Test
    void aPasswordSetByAnotherPrincipalEndsAllOfTheTargetsSessions() {
        String name = unique("target");
        String id = auth(name, "target-password", "self");
        WebTestClient first = as(cookie("/api/login", name, "target-password"));
        WebTestClient second = as(cookie("/api/login", name, "target-password"));

        admin.put().uri("/api/Auth/" + id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", name, "password", "reset-password", "roleId", "self"))
                .exchange().expectStatus().isOk();

        first.get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        second.get().uri("/api/Account").exchange().expectStatus().isUnauthorized();
        admin.get().uri("/api/session").exchange().expectStatus().isOk();
        login("/api/login", name, "reset-password").expectStatus().isOk();
    }

    @Test
    void aRefusedPasswordChangeEndsNoSession() {
        String name = unique("refused");
        String id = auth(name, "kept-password", "self");
        WebTestClient first = as(cookie("/api/login", name, "kept-password"));
        WebTestClient second = as(cookie("/api/login", name, "kept-password"));

        first.put().uri("/api/Auth/" + id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", name, "password", "new-password", "roleId", "no-such-role"))
                .exchange().expectStatus().isEqualTo(422);

        first.get().uri("/api/session").exchange().expectStatus().isOk();
        second.get().uri("/api/session").exchange().expectStatus().isOk();
        login("/api/login", name, "kept-password").expectStatus().isOk();
    }

    private static String auth(String name, String password, String role) {
        return id(post(admin, "Auth", Map.of("name", name, "password", password, "roleId", role))
                .expectStatus().isCreated());
    }

    private static String user(String username, String password, String role) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("username", username);
        body.put("email", username + "@example.com");
        body.put("password", password);
        body.put("firstName", "First");
        body.put("lastName", "Last");
        body.put("isAccountOwner", false);
        body.put("accountId", accountId);
        body.put("roleId", role);
        return id(post(admin, "User", body).expectStatus().isCreated());
    }

    private static String unique(String prefix) {
        return prefix + COUNTER.incrementAndGet();
    }

    private static WebTestClient.ResponseSpec login(String route, String login, String password) {
        return TestServers.anonymous(server).post().uri(route).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("login", login, "password", password)).exchange();
    }

    private static String cookie(String route, String login, String password) {
        return login(route, login, password).expectStatus().isOk().returnResult(String.class).getResponseCookies()
                .getFirst("sessionId").getValue();
    }

    private static WebTestClient as(String cookie) {
        return TestServers.anonymous(server).mutate().defaultCookie("sessionId", cookie).build();
    }

    private static WebTestClient.ResponseSpec post(WebTestClient client, String entity, Object body) {
        return client.post().uri("/api/" + entity).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private static String id(WebTestClient.ResponseSpec response) {
        return read(response).path("data").path("id").asString();
    }

    private static JsonNode read(WebTestClient.ResponseSpec response) {
        return JSON.readTree(response.expectBody().returnResult().getResponseBody());
    }
}
