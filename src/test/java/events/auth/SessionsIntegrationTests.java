package events.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.support.TestServers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Login, sessions and role permissions (api.md 9) over HTTP against PostgreSQL. */
final class SessionsIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_it_sessions_" + ProcessHandle.current().pid();
    private static final String MANAGER_GRANTS = "{\"*\":\"cru\",\"Role\":\"r\",\"Auth\":\"\",\"Account\":\"r\",\"Crawl\":\"\"}";
    private static EventsServer server;
    private static String accountId;

    @BeforeAll
    static void start() {
        server = TestServers.start(Map.of("EVENTS_DB_NAME", DATABASE, "EVENTS_SESSION_SECURE_COOKIE", "false",
                "EVENTS_SESSION_TTL_SECONDS", "3", "EVENTS_SESSION_MAX_AGE_SECONDS", "8"));
        accountId = id(post(admin(), "Account", Map.of("name", "Sessions Holdings")).expectStatus().isCreated());
        post(admin(), "Role", Map.of("id", "mgr", "role", "Manager", "permissions", JSON.readTree(MANAGER_GRANTS)))
                .expectStatus().isCreated();
        post(admin(), "Role", Map.of("id", "reader", "role", "Reader-updater", "permissions", Map.of("*", "ru")))
                .expectStatus().isCreated();
        post(admin(), "Role", Map.of("id", "nothing", "role", "Nothing", "permissions", Map.of()))
                .expectStatus().isCreated();
        post(admin(), "Role", Map.of("id", "json5", "role", "Json5", "permissions", "{'*': 'r', account: 's',}"))
                .expectStatus().isCreated();
        user("Mgr", "manager-pass", "mgr");
        user("percent", "%%%%%%%%", "reader");
        user("under", "________", "reader");
        user("idle", "nothing-pass", "nothing");
        user("fiver", "json5-pass", "json5");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void goodLoginSetsTheCookieAndDescribesThePermissions() {
        var result = login("Mgr", "manager-pass").expectStatus().isOk().returnResult(String.class);
        ResponseCookie cookie = result.getResponseCookies().getFirst("sessionId");
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.getSameSite()).isEqualTo("Lax");
        assertThat(cookie.getPath()).isEqualTo("/");
        assertThat(cookie.isSecure()).as("secure_cookie: false").isFalse();
        JsonNode body = JSON.readTree(result.getResponseBody().blockFirst());
        assertThat(body.path("status").asString()).isEqualTo("success");
        assertThat(body.path("data").path("login").asString()).isEqualTo("Mgr");
        assertThat(body.path("data").path("roleId").asString()).isEqualTo("mgr");
        JsonNode entities = body.path("data").path("permissions").path("entity");
        assertThat(List.copyOf(entities.propertyNames())).containsExactly("Account", "User", "Profile", "TagAffinity",
                "Event", "UserEvent", "Url", "Role");
        assertThat(entities.path("Account").asString()).isEqualTo("r");
        assertThat(entities.path("User").asString()).isEqualTo("cru");
        assertThat(entities.path("Role").asString()).isEqualTo("r");
        assertThat(body.path("data").path("permissions").path("reports").isArray()).isTrue();
        assertThat(body.toString()).doesNotContain(cookie.getValue());
    }

    @Test
    void theCookieIsSecureByDefault() {
        TestServers.sessionCookie(TestServers.shared()); // makes sure the administrator exists there
        String setCookie = TestServers.anonymous(TestServers.shared()).post().uri("/api/login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("login", TestServers.ADMIN, "password", TestServers.ADMIN_PASSWORD)).exchange()
                .expectStatus().isOk().returnResult(String.class).getResponseHeaders().getFirst("Set-Cookie");
        assertThat(setCookie).contains("Secure").containsIgnoringCase("HttpOnly").contains("SameSite=Lax").contains("Path=/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"login\": \"Mgr\", \"password\": \"wrong-pass\"}",
            "{\"login\": \"nobody\", \"password\": \"manager-pass\"}",
            "{\"login\": \"Mgr\"}", "{\"password\": \"manager-pass\"}", "{}", "null", "not json",
            "{\"login\": \"M%\", \"password\": \"manager-pass\"}", "{\"login\": \"M_r\", \"password\": \"manager-pass\"}",
            "{\"login\": \"percent\", \"password\": \"%\"}", "{\"login\": \"under\", \"password\": \"_\"}",
            "{\"login\": \"idle\", \"password\": \"nothing-pass\"}",
            "{\"login\": \"Mgr\", \"password\": \"MANAGER-PASS\"}"})
    void everyFailureIsTheSame401(String body) {
        JsonNode response = read(TestServers.anonymous(server).post().uri("/api/login")
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isUnauthorized().expectHeader().doesNotExist("Set-Cookie"));
        JsonNode error = response.path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("type").asString()).isEqualTo("unauthorized");
        assertThat(error.path("message").asString()).isEqualTo("Invalid credentials");
    }

    @Test
    void wildcardCharactersAsPasswordsAreLiteral() {
        login("percent", "%%%%%%%%").expectStatus().isOk();
        login("under", "________").expectStatus().isOk();
        login("under", "%%%%%%%%").expectStatus().isUnauthorized();
    }

    @Test
    void aLoginDifferingOnlyInCaseMatchesTheSamePrincipal() {
        JsonNode body = read(login("mGR", "manager-pass").expectStatus().isOk());
        assertThat(body.path("data").path("roleId").asString()).isEqualTo("mgr");
    }

    @Test
    void aPrincipalWhoseRoleIsGoneCannotLogIn() {
        post(admin(), "Role", Map.of("id", "doomed", "role", "Doomed", "permissions", Map.of("*", "r")))
                .expectStatus().isCreated();
        user("orphan", "orphan-pass", "doomed");
        login("orphan", "orphan-pass").expectStatus().isOk();
        admin().delete().uri("/api/Role/doomed").exchange().expectStatus().isOk();
        login("orphan", "orphan-pass").expectStatus().isUnauthorized();
    }

    @Test
    void sessionRefreshAndLogout() {
        String cookie = cookie("Mgr", "manager-pass");
        WebTestClient mgr = as(cookie);
        JsonNode session = read(mgr.get().uri("/api/session").exchange().expectStatus().isOk());
        assertThat(session.path("data").path("login").asString()).isEqualTo("Mgr");
        assertThat(session.path("data").path("permissions").path("entity").path("Account").asString()).isEqualTo("r");
        mgr.post().uri("/api/refresh").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.data.refresh").isEqualTo("successful");
        String cleared = mgr.post().uri("/api/logout").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.data.logout").isEqualTo("successful")
                .returnResult().getResponseHeaders().getFirst("Set-Cookie");
        assertThat(cleared).contains("sessionId=").contains("Max-Age=0");
        mgr.post().uri("/api/refresh").exchange().expectStatus().isUnauthorized();
        mgr.get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        mgr.post().uri("/api/logout").exchange().expectStatus().isUnauthorized();
        mgr.get().uri("/api/Event").exchange().expectStatus().isUnauthorized();
        TestServers.anonymous(server).get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        TestServers.anonymous(server).post().uri("/api/logout").exchange().expectStatus().isUnauthorized();
    }

    @Test
    void idleSessionsExpireUnlessRefreshedAndNoneOutlivesTheMaximumAge() throws InterruptedException {
        WebTestClient idle = as(cookie("Mgr", "manager-pass"));
        Thread.sleep(4000); // ttl is 3 s
        idle.get().uri("/api/session").exchange().expectStatus().isUnauthorized();

        WebTestClient busy = as(cookie("Mgr", "manager-pass"));
        long start = System.nanoTime();
        while (System.nanoTime() - start < 6_000_000_000L) { // past the ttl twice, within max age (8 s)
            busy.post().uri("/api/refresh").exchange().expectStatus().isOk();
            Thread.sleep(1000);
        }
        busy.get().uri("/api/session").exchange().expectStatus().isOk();
        Thread.sleep(3000); // now past max_age_seconds, even though refreshed
        busy.post().uri("/api/refresh").exchange().expectStatus().isUnauthorized();
    }

    @Test
    void entityOperationsFollowTheGrants() {
        WebTestClient mgr = as(cookie("Mgr", "manager-pass"));
        mgr.get().uri("/api/Account").exchange().expectStatus().isOk();
        post(mgr, "Account", Map.of("name", "Not Allowed Inc")).expectStatus().isForbidden();
        mgr.delete().uri("/api/Account/" + accountId).exchange().expectStatus().isForbidden();
        String event = id(post(mgr, "Event", Map.of("url", "https://example.org/e", "title", "Allowed",
                "dateTime", "2026-01-01")).expectStatus().isCreated());
        mgr.put().uri("/api/Event/" + event).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("url", "https://example.org/e", "title", "Updated", "dateTime", "2026-01-02"))
                .exchange().expectStatus().isOk();
        mgr.delete().uri("/api/Event/" + event).exchange().expectStatus().isForbidden();
        mgr.get().uri("/api/Crawl").exchange().expectStatus().isForbidden();
        mgr.get().uri("/api/Auth").exchange().expectStatus().isForbidden();
        // GET one reads the session and the document in one statement; the order of errors stays 403, then 404.
        mgr.get().uri("/api/Auth/no-such-auth").exchange().expectStatus().isForbidden();
        mgr.get().uri("/api/Account/" + accountId).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.data.id").isEqualTo(accountId);
        mgr.get().uri("/api/Account/no-such-account").exchange().expectStatus().isNotFound();
        mgr.get().uri("/api/Role").exchange().expectStatus().isOk();
        post(mgr, "Role", Map.of("role", "Sneaky", "permissions", Map.of("*", "s"))).expectStatus().isForbidden();
        JsonNode forbidden = read(mgr.get().uri("/api/Crawl").exchange().expectStatus().isForbidden());
        assertThat(forbidden.path("notifications").path("general").path("errors").get(0).path("type").asString())
                .isEqualTo("forbidden");

        WebTestClient reader = as(cookie("percent", "%%%%%%%%"));
        reader.get().uri("/api/Event").exchange().expectStatus().isOk();
        post(reader, "Event", Map.of("url", "https://example.org/r", "title", "No", "dateTime", "2026-01-01"))
                .expectStatus().isForbidden();
        reader.put().uri("/api/Account/" + accountId).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", "Sessions Holdings")).exchange().expectStatus().isOk();
        reader.delete().uri("/api/Account/" + accountId).exchange().expectStatus().isForbidden();
    }

    @Test
    void withoutASessionEntityRoutesAre401AfterParameterChecks() {
        WebTestClient anonymous = TestServers.anonymous(server);
        anonymous.get().uri("/api/Account").exchange().expectStatus().isUnauthorized();
        anonymous.get().uri("/api/Account?bogus=1").exchange().expectStatus().isBadRequest();
        anonymous.get().uri("/api/Nope").exchange().expectStatus().isNotFound();
        anonymous.delete().uri("/api/Account").exchange().expectStatus().isEqualTo(405);
        post(anonymous, "Account", Map.of("name", "x")).expectStatus().isUnauthorized();
        as("not-a-real-session").get().uri("/api/Account").exchange().expectStatus().isUnauthorized();
        anonymous.get().uri("/api/Account/" + accountId).exchange().expectStatus().isUnauthorized();
        anonymous.get().uri("/api/Account/no-such-account").exchange().expectStatus().isUnauthorized();
        as("not-a-real-session").get().uri("/api/Account/" + accountId).exchange().expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.data").isEmpty();
        anonymous.get().uri("/api/Account/" + accountId + "?view=bogus").exchange().expectStatus().isBadRequest();
        anonymous.get().uri("/api/metadata").exchange().expectStatus().isOk();
        anonymous.get().uri("/api/db/report").exchange().expectStatus().isOk();
    }

    @Test
    void json5PermissionsAndSGrantEverything() {
        JsonNode body = read(login("fiver", "json5-pass").expectStatus().isOk());
        assertThat(body.path("data").path("permissions").path("entity").path("Account").asString())
                .as("s written out: clients test single letters").isEqualTo("cruds");
        assertThat(body.path("data").path("permissions").path("entity").path("Event").asString()).isEqualTo("r");
        WebTestClient fiver = as(cookie("fiver", "json5-pass"));
        String id = id(post(fiver, "Account", Map.of("name", "Json5 Holdings")).expectStatus().isCreated());
        fiver.delete().uri("/api/Account/" + id).exchange().expectStatus().isOk();
        post(fiver, "Event", Map.of("url", "https://example.org/j", "title", "No", "dateTime", "2026-01-01"))
                .expectStatus().isForbidden();
    }

    @Test
    void aRoleChangeAppliesToTheNextRequest() {
        post(admin(), "Role", Map.of("id", "changing", "role", "Changing", "permissions", Map.of("*", "r", "Url", "cr")))
                .expectStatus().isCreated();
        user("changer", "changer-pass", "changing");
        WebTestClient changer = as(cookie("changer", "changer-pass"));
        post(changer, "Url", Map.of("url", "https://example.org/1")).expectStatus().isCreated();
        admin().put().uri("/api/Role/changing").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("role", "Changing", "permissions", Map.of("*", "r"))).exchange().expectStatus().isOk();
        post(changer, "Url", Map.of("url", "https://example.org/2")).expectStatus().isForbidden();
        changer.get().uri("/api/Url").exchange().expectStatus().isOk();
    }

    @Test
    void twoServerInstancesOnOneDatabaseShareSessions() {
        try (EventsServer second = TestServers.start(Map.of("EVENTS_DB_NAME", DATABASE,
                "EVENTS_SESSION_TTL_SECONDS", "3", "EVENTS_SESSION_MAX_AGE_SECONDS", "8"))) {
            // Logged in once the second server runs: its start-up on a busy machine can outlast the 3 s idle TTL.
            String cookie = cookie("Mgr", "manager-pass");
            WebTestClient there = TestServers.anonymous(second).mutate().defaultCookie("sessionId", cookie).build();
            there.get().uri("/api/session").exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$.data.login").isEqualTo("Mgr");
            there.post().uri("/api/logout").exchange().expectStatus().isOk();
            as(cookie).get().uri("/api/session").exchange().expectStatus().isUnauthorized();
        }
    }

    @Test
    void viewsOfUnreadableEntitiesShowOnlyExists() {
        post(admin(), "Role", Map.of("id", "no-accounts", "role", "No Accounts", "permissions",
                Map.of("*", "r", "Account", ""))).expectStatus().isCreated();
        String id = user("viewer", "viewer-pass", "no-accounts");
        JsonNode one = read(as(cookie("viewer", "viewer-pass")).get()
                .uri("/api/User/" + id + "?view=account(name),role(role)").exchange().expectStatus().isOk());
        assertThat(one.path("data").path("account").path("exists").asBoolean()).isTrue();
        assertThat(one.path("data").path("account").has("name")).isFalse();
        assertThat(one.path("data").path("role").path("role").asString()).isEqualTo("No Accounts");
    }

    @Test
    void corsAllowsTheConfiguredOriginWithCredentials() {
        TestServers.anonymous(server).options().uri("/api/login").header("Origin", "http://localhost:4200")
                .header("Access-Control-Request-Method", "POST").exchange().expectStatus().isOk()
                .expectHeader().valueEquals("Access-Control-Allow-Origin", "http://localhost:4200")
                .expectHeader().valueEquals("Access-Control-Allow-Credentials", "true");
        TestServers.anonymous(server).options().uri("/api/login").header("Origin", "http://evil.example")
                .header("Access-Control-Request-Method", "POST").exchange().expectStatus().isForbidden();
    }

    /** PATCH, bulk create and batches pass the same gate as the single routes (api.md 9.2, 13, 14). */
    @Test
    void patchBulkAndBatchAreGatedLikeTheSingleRoutes() {
        WebTestClient anonymous = TestServers.anonymous(server);
        anonymous.patch().uri("/api/Account/" + accountId).contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().expectStatus().isUnauthorized();
        post(anonymous, "Account", List.of(Map.of("name", "Anonymous bulk"))).expectStatus().isUnauthorized();
        post(anonymous, "_batch", Map.of("operations", List.of())).expectStatus().isUnauthorized();

        WebTestClient mgr = as(cookie("Mgr", "manager-pass")); // Account: r only
        JsonNode patched = read(mgr.patch().uri("/api/Account/" + accountId)
                .contentType(MediaType.parseMediaType("application/json-patch+json")).bodyValue("[]").exchange()
                .expectStatus().isForbidden());
        assertThat(patched.path("notifications").path("general").path("errors").path(0).path("type").asString())
                .as("403 comes before the body's 415").isEqualTo("forbidden");
        post(mgr, "Account", List.of(Map.of("name", "Forbidden bulk"))).expectStatus().isForbidden();
        String event = "gated-" + System.nanoTime();
        JsonNode batch = read(post(mgr, "_batch", Map.of("operations", List.of(
                Map.of("method", "POST", "entity", "Url", "body", Map.of("id", event, "url", "https://example.com/x")),
                Map.of("method", "PATCH", "entity", "Account", "id", accountId, "body", Map.of("name", "Renamed by mgr")))))
                .expectStatus().isForbidden());
        assertThat(batch.path("notifications").path("[1]").path("errors").path(0).path("type").asString())
                .isEqualTo("forbidden");
        mgr.get().uri("/api/Url/" + event).exchange().expectStatus().isNotFound();
        read(mgr.get().uri("/api/Account/" + accountId).exchange().expectStatus().isOk());
    }

    /** The administrator, logged in afresh: sessions here idle out after 3 s. */
    private static WebTestClient admin() {
        TestServers.forget(server);
        return TestServers.client(server);
    }

    private static String user(String username, String password, String role) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("username", username);
        body.put("email", username.replaceAll("[^a-zA-Z]", "x") + "@example.com");
        body.put("password", password);
        body.put("firstName", "First");
        body.put("lastName", "Last");
        body.put("isAccountOwner", false);
        body.put("accountId", accountId);
        body.put("roleId", role);
        return id(post(admin(), "User", body).expectStatus().isCreated());
    }

    private static WebTestClient.ResponseSpec login(String login, String password) {
        return TestServers.anonymous(server).post().uri("/api/login/user").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("login", login, "password", password)).exchange();
    }

    private static String cookie(String login, String password) {
        return login(login, password).expectStatus().isOk().returnResult(String.class).getResponseCookies()
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
