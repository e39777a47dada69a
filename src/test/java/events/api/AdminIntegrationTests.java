package events.api;

import static events.api.EntityRoutesIntegrationTests.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.config.DatabaseUri;
import events.support.TestDatabase;
import events.support.TestServers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Integration tests of metadata, the database report, db/init and health (api.md 10). */
final class AdminIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final WebTestClient client = TestServers.client(TestServers.shared());

    @Test
    void metadataListsEntitiesInSchemaOrderWithIdLastAndResolvedDictionaries() {
        JsonNode metadata = read(client.get().uri("/api/metadata").exchange().expectStatus().isOk());
        assertThat(metadata.path("projectName").asString()).isEqualTo("Events");
        assertThat(metadata.path("database").asString()).isEqualTo("postgresql");
        assertThat(List.copyOf(metadata.path("entities").propertyNames())).containsExactly("Account", "User", "Profile",
                "TagAffinity", "Event", "UserEvent", "Url", "Crawl", "Auth", "Role");
        JsonNode user = metadata.path("entities").path("User");
        List<String> fields = List.copyOf(user.path("fields").propertyNames());
        assertThat(fields.get(fields.size() - 1)).isEqualTo("id");
        assertThat(user.path("fields").path("id").path("type").asString()).isEqualTo("ObjectId");
        assertThat(user.path("fields").path("id").path("required").asBoolean()).isTrue();
        assertThat(user.path("fields").path("email").path("pattern").path("regex").asString()).startsWith("^[a-zA-Z0-9]");
        assertThat(user.path("fields").path("gender").path("enum").path("colors").size()).isEqualTo(3);
        assertThat(user.path("ui").path("title").asString()).isEqualTo("Users");
        assertThat(user.path("services").path("authn").path("route").asString()).isEqualTo("login/user");
        assertThat(user.path("uniques").size()).isEqualTo(2);
        assertThat(user.path("operations").asString()).isEqualTo("crud");
        assertThat(metadata.has("status")).as("not wrapped in the envelope").isFalse();
    }

    @Test
    void reportShowsDatabaseCountsPoolAndIndexes() {
        JsonNode before = read(client.get().uri("/api/db/report").exchange().expectStatus().isOk());
        client.post().uri("/api/Url").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("url", "https://example.org/" + unique())).exchange().expectStatus().isCreated();
        JsonNode report = read(client.get().uri("/api/db/report").exchange().expectStatus().isOk());
        assertThat(report.path("database").asString()).isEqualTo("postgresql");
        assertThat(report.path("report").path("status").asString()).isEqualTo("healthy");
        assertThat(report.path("report").path("entities").path("Url").asLong())
                .isEqualTo(before.path("report").path("entities").path("Url").asLong() + 1);
        JsonNode details = report.path("report").path("details");
        assertThat(details.path("serverVersion").asString()).matches("\\d+.*");
        assertThat(details.path("pool").path("maxSize").asInt()).isEqualTo(20);
        assertThat(details.path("pool").has("acquired")).isTrue();
        assertThat(details.path("pool").has("pending")).isTrue();
        assertThat(details.path("indexes").path("User").valueStream().map(JsonNode::asString))
                .anyMatch(name -> name.contains("username"));
        assertThat(report.path("report").path("config").path("pool").path("max").asInt()).isEqualTo(20);
    }

    @Test
    void reportNeverShowsTheDatabasePassword() {
        DatabaseUri base = DatabaseUri.parse(TestDatabase.uri());
        String password = base.password() != null ? base.password() : "hunter2-secret";
        String withPassword = "postgresql://" + base.user() + ":" + password + "@" + base.host() + ":" + base.port();
        try (EventsServer server = TestServers.start(Map.of("EVENTS_DB_URI", withPassword))) {
            String report = new String(TestServers.client(server).get().uri("/api/db/report").exchange()
                    .expectStatus().isOk().expectBody().returnResult().getResponseBody());
            assertThat(report).contains("\"db_uri\"").doesNotContain(password);
        }
    }

    /** The database in use is the one the URI names, whatever {@code db_name} says. */
    @Test
    void reportShowsTheDatabaseTheUriNames() {
        String database = "events_it_named_" + ProcessHandle.current().pid();
        try (EventsServer server = TestServers.start(Map.of("EVENTS_DB_URI", TestDatabase.uri() + "/" + database,
                "EVENTS_DB_NAME", "events"))) {
            JsonNode report = read(TestServers.anonymous(server).get().uri("/api/db/report").exchange()
                    .expectStatus().isOk());
            assertThat(report.path("report").path("config").path("db_name").asString()).isEqualTo(database);
        }
    }

    @Test
    void initPageIsHtmlWithAButton() {
        String page = new String(client.get().uri("/api/db/init").exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectBody().returnResult().getResponseBody());
        assertThat(page).contains("<button").contains("confirmed");
    }

    @Test
    void initWithoutConfirmationIsRefusedAndWithItWipesEverything() {
        try (EventsServer server = TestServers.start(Map.of())) {
            WebTestClient own = TestServers.client(server);
            own.post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("name", "Doomed Corp")).exchange().expectStatus().isCreated();
            for (String body : List.of("{}", "{\"confirmed\": false}", "{\"confirmed\": \"true\"}", "not json")) {
                JsonNode refused = read(own.post().uri("/api/db/init").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(body).exchange().expectStatus().isBadRequest());
                assertThat(refused.path("status").asString()).isEqualTo("error");
                assertThat(refused.path("message").asString()).contains("confirmed");
            }
            own.get().uri("/api/Account").exchange().expectBody().jsonPath("$.pagination.total").isEqualTo(1);
            JsonNode done = read(own.post().uri("/api/db/init").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"confirmed\": true}").exchange().expectStatus().isOk());
            assertThat(done.path("status").asString()).isEqualTo("success");
            assertThat(done.path("message").asString()).isEqualTo("Database wiped and reinitialized");
            TestServers.forget(server); // the wipe ended every session, the administrator's too
            own.get().uri("/api/Account").exchange().expectStatus().isUnauthorized();
            own = TestServers.client(server);
            own.get().uri("/api/Account").exchange().expectBody().jsonPath("$.pagination.total").isEqualTo(0);
            JsonNode report = read(own.get().uri("/api/db/report").exchange().expectStatus().isOk());
            assertThat(report.path("report").path("details").path("indexes").path("User").valueStream()
                    .map(JsonNode::asString)).anyMatch(name -> name.contains("username"));
        }
    }

    @Test
    void initInProductionNeedsFullRights() {
        try (EventsServer server = TestServers.start(Map.of("EVENTS_ENVIRONMENT", "production"))) {
            TestServers.anonymous(server).post().uri("/api/db/init").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"confirmed\": true}").exchange().expectStatus().isUnauthorized();
            WebTestClient admin = TestServers.client(server);
            admin.post().uri("/api/Role").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("id", "almost", "role", "Almost", "permissions", Map.of("*", "s", "Crawl", "crud")))
                    .exchange().expectStatus().isCreated();
            admin.post().uri("/api/Auth").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("name", "almost", "password", "almost-password", "roleId", "almost"))
                    .exchange().expectStatus().isCreated();
            String almost = TestServers.anonymous(server).post().uri("/api/login")
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "almost", "password", "almost-password")).exchange()
                    .expectStatus().isOk().returnResult(String.class).getResponseCookies().getFirst("sessionId")
                    .getValue();
            TestServers.anonymous(server).post().uri("/api/db/init").cookie("sessionId", almost)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"confirmed\": true}").exchange()
                    .expectStatus().isForbidden();
            admin.post().uri("/api/db/init").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"confirmed\": true}").exchange().expectStatus().isOk();
        }
    }

    @Test
    void healthIncludesDatabaseReadiness() {
        JsonNode health = read(client.get().uri("/actuator/health").exchange().expectStatus().isOk());
        assertThat(health.path("status").asString()).isEqualTo("UP");
        JsonNode readiness = read(client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk());
        assertThat(readiness.path("components").path("database").path("status").asString()).isEqualTo("UP");
        client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
    }

    private static JsonNode read(WebTestClient.ResponseSpec response) {
        byte[] body = response.expectBody().returnResult().getResponseBody();
        assertThat(body).isNotNull();
        return JSON.readTree(body);
    }
}
