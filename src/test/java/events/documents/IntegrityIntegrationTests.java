package events.documents;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

import events.EventsServer;
import events.support.TestServers;
import events.support.TestSql;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Validation boundaries, error precedence (api.md 3.5), unique and foreign keys (8.1, 8.2), read-time
 * checks (8.3) and secrets (9.1), on the Events schema through HTTP.
 */
final class IntegrityIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_it_integrity_" + ProcessHandle.current().pid();
    private static EventsServer server;
    private static WebTestClient client;
    private static String accountId;
    private static String roleId;

    @BeforeAll
    static void start() {
        server = TestServers.start(Map.of("EVENTS_DB_NAME", DATABASE));
        client = TestServers.client(server);
        accountId = id(create(client, "Account", Map.of("name", "Integrity Holdings")));
        roleId = id(create(client, "Role", Map.of("role", "r-" + unique(), "permissions", "{'*': 'crud'}")));
    }

    @ParameterizedTest(name = "username of {0} characters -> {1}")
    @CsvSource({"2, 422", "3, 201", "50, 201", "51, 422"})
    void usernameLengthBoundaries(int length, int status) {
        Map<String, Object> body = user(unique());
        body.put("username", (unique() + "x".repeat(60)).substring(0, length));
        post(client, "User", body).expectStatus().isEqualTo(status);
    }

    @ParameterizedTest(name = "netWorth {0} -> {1}")
    @CsvSource({"-1, 422", "0, 201", "10000000, 201", "10000001, 422"})
    void netWorthBoundaries(long netWorth, int status) {
        Map<String, Object> body = user(unique());
        body.put("netWorth", netWorth);
        post(client, "User", body).expectStatus().isEqualTo(status);
    }

    @Test
    void fiveDifferentFailuresGiveFiveErrors() {
        Map<String, Object> body = user(unique());
        body.put("username", "ab");
        body.put("email", "bad@");
        body.put("gender", "robot");
        body.put("netWorth", "12");
        body.put("dob", "not-a-date");
        JsonNode errors = read(post(client, "User", body).expectStatus().isEqualTo(422))
                .path("notifications").path("new").path("errors");
        assertThat(errors.findValuesAsString("field"))
                .containsExactlyInAnyOrder("username", "email", "gender", "netWorth", "dob");
    }

    @Test
    void validationBeatsADuplicateUsername() {
        Map<String, Object> first = user(unique());
        create(client, "User", first);
        Map<String, Object> second = user(unique());
        second.put("username", first.get("username"));
        second.put("gender", "robot");
        read(post(client, "User", second).expectStatus().isEqualTo(422));
    }

    @Test
    void putWithValidDataToAMissingIdIsNotFound() {
        String id = "missing-" + unique();
        JsonNode response = read(put(client, "User", id, user(unique())).expectStatus().isNotFound());
        assertThat(response.path("notifications").path(id).path("errors").get(0).path("type").asString())
                .isEqualTo("not_found");
    }

    @Test
    void putWithABadEnumToAMissingIdIsAValidationFailure() {
        Map<String, Object> body = user(unique());
        body.put("gender", "robot");
        put(client, "User", "missing-" + unique(), body).expectStatus().isEqualTo(422);
    }

    @Test
    void putWithAMissingForeignKeyToAMissingIdIsNotFound() {
        Map<String, Object> body = user(unique());
        body.put("accountId", "no-such-account");
        put(client, "User", "missing-" + unique(), body).expectStatus().isNotFound();
    }

    @Test
    void missingForeignKeyBeatsADuplicate() {
        Map<String, Object> first = user(unique());
        create(client, "User", first);
        Map<String, Object> second = user(unique());
        second.put("username", first.get("username"));
        second.put("accountId", "no-such-account");
        JsonNode error = read(post(client, "User", second).expectStatus().isEqualTo(422))
                .path("notifications").path("new").path("errors").get(0);
        assertThat(error.path("field").asString()).isEqualTo("accountId");
        assertThat(error.path("message").asString()).isEqualTo("Account no-such-account does not exist");
    }

    @Test
    void foreignKeyToAMissingDocumentOnCreateAndOnReplace() {
        Map<String, Object> body = user(unique());
        body.put("accountId", "ACC-NOPE");
        JsonNode created = read(post(client, "User", body).expectStatus().isEqualTo(422));
        JsonNode error = created.path("notifications").path("new").path("errors").get(0);
        assertThat(error.path("field").asString()).isEqualTo("accountId");
        assertThat(error.path("message").asString()).isEqualTo("Account acc-nope does not exist");

        Map<String, Object> good = user(unique());
        String id = id(create(client, "User", good));
        good.put("roleId", "role-nope");
        JsonNode replaced = read(put(client, "User", id, good).expectStatus().isEqualTo(422));
        assertThat(replaced.path("notifications").path(id).path("errors").get(0).path("field").asString())
                .isEqualTo("roleId");
        good.put("roleId", roleId);
        put(client, "User", id, good).expectStatus().isOk();
    }

    @Test
    void concurrentCreatesOfTheSameUsernameGiveExactlyOneSuccess() {
        String username = "race" + unique();
        WebClient web = WebClient.builder().baseUrl("http://localhost:" + server.port())
                .defaultCookie("sessionId", TestServers.sessionCookie(server)).build();
        List<Integer> statuses = Flux.range(0, 8)
                .flatMap(i -> {
                    Map<String, Object> body = user(unique());
                    body.put("username", i % 2 == 0 ? username : username.toUpperCase());
                    return web.post().uri("/api/User").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                            .exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().value()));
                }, 8)
                .collectList()
                .block(Duration.ofSeconds(60));
        assertThat(statuses).filteredOn(s -> s == 201).hasSize(1);
        assertThat(statuses).filteredOn(s -> s == 409).hasSize(7);
    }

    @Test
    void compoundKeysCollideOnlyOnAllFieldsIgnoringCase() {
        String user = id(create(client, "User", user(unique())));
        String other = id(create(client, "User", user(unique())));
        String name = "Profile " + unique();
        create(client, "Profile", Map.of("name", name, "userId", user));
        create(client, "Profile", Map.of("name", name, "userId", other));
        create(client, "Profile", Map.of("name", name + " 2", "userId", user));
        JsonNode conflict = read(post(client, "Profile", Map.of("name", name.toUpperCase(), "userId", user.toUpperCase()))
                .expectStatus().isEqualTo(409));
        JsonNode error = conflict.path("notifications").path("new").path("errors").get(0);
        assertThat(error.path("type").asString()).isEqualTo("conflict");
        assertThat(error.path("field").asString()).isEqualTo("name");
        assertThat(error.path("message").asString()).contains("name").contains("userId");
    }

    @Test
    void uniqueEmailIsCaseInsensitiveOnReplaceToo() {
        Map<String, Object> first = user(unique());
        create(client, "User", first);
        Map<String, Object> second = user(unique());
        String id = id(create(client, "User", second));
        second.put("email", ((String) first.get("email")).toUpperCase());
        JsonNode conflict = read(put(client, "User", id, second).expectStatus().isEqualTo(409));
        assertThat(conflict.path("notifications").path(id).path("errors").get(0).path("field").asString())
                .isEqualTo("email");
    }

    @Test
    void noResponseEverContainsAStoredPasswordOrItsHash() {
        String password = "Pa55word-" + unique();
        Map<String, Object> body = user(unique());
        body.put("password", password);
        List<String> responses = new ArrayList<>();
        String created = text(post(client, "User", body).expectStatus().isCreated());
        responses.add(created);
        String id = JSON.readTree(created).path("data").path("id").asString();
        String hash = (String) TestSql.query(DATABASE, "SELECT data->>'password' AS p FROM \"User\" WHERE id = $1", id)
                .get(0).get("p");
        assertThat(hash).startsWith("$2").doesNotContain(password);

        responses.add(text(client.get().uri("/api/User/{id}", id).exchange().expectStatus().isOk()));
        responses.add(text(client.get().uri("/api/User?pageSize=1000").exchange().expectStatus().isOk()));
        body.remove("password");
        body.put("lastName", "Replaced");
        responses.add(text(put(client, "User", id, body).expectStatus().isOk()));
        assertThat(TestSql.query(DATABASE, "SELECT data->>'password' AS p FROM \"User\" WHERE id = $1", id)
                .get(0).get("p")).as("omitted on PUT: the stored hash stays").isEqualTo(hash);
        responses.add(text(client.get().uri("/api/metadata").exchange().expectStatus().isOk()));
        responses.add(text(client.get().uri("/api/db/report").exchange().expectStatus().isOk()));
        Map<String, Object> duplicate = user(unique());
        duplicate.put("password", password);
        duplicate.put("username", ((String) body.get("username")).toUpperCase());
        responses.add(text(post(client, "User", duplicate).expectStatus().isEqualTo(409)));
        Map<String, Object> invalid = user(unique());
        invalid.put("password", "short");
        responses.add(text(post(client, "User", invalid).expectStatus().isEqualTo(422)));
        responses.add(text(client.delete().uri("/api/User/{id}", id).exchange().expectStatus().isOk()));
        for (String response : responses) {
            assertThat(response).doesNotContain(password).doesNotContain(hash).doesNotContain("\"password\":\"$2")
                    .doesNotContain("short\"");
        }
    }

    @Test
    void danglingKeysAndImperfectDocumentsAreWarningsInEachValidationMode() {
        for (String mode : List.of("none", "single", "multiple")) {
            String database = "events_it_readcheck_" + mode + "_" + ProcessHandle.current().pid();
            try (EventsServer own = TestServers.start(Map.of("EVENTS_VALIDATION", mode, "EVENTS_DB_NAME", database))) {
                WebTestClient web = TestServers.client(own);
                String account = id(create(web, "Account", Map.of("name", "Doomed Account")));
                String role = id(create(web, "Role", Map.of("role", "reader", "permissions", Map.of("*", "r"))));
                Map<String, Object> body = user(unique());
                body.put("accountId", account);
                body.put("roleId", role);
                String user = id(create(web, "User", body));
                web.delete().uri("/api/Account/{id}", account).exchange().expectStatus().isOk();
                // An imperfect stored document: written behind the server's back.
                TestSql.query(database, "UPDATE \"User\" SET data = data || '{\"username\": \"x\"}' WHERE id = $1", user);

                JsonNode one = read(web.get().uri("/api/User/{id}", user).exchange().expectStatus().isOk());
                JsonNode list = read(web.get().uri("/api/User").exchange().expectStatus().isOk());
                if (mode.equals("none")) {
                    assertThat(one.path("status").asString()).isEqualTo("success");
                    assertThat(one.path("data").has("account")).isFalse();
                    assertThat(list.path("status").asString()).isEqualTo("success");
                    continue;
                }
                assertReadChecks(one, one.path("data"), user, account);
                if (mode.equals("single")) {
                    assertThat(list.path("status").asString()).isEqualTo("success");
                    assertThat(list.path("data").get(0).has("account")).isFalse();
                } else {
                    assertReadChecks(list, list.path("data").get(0), user, account);
                }
            }
        }
    }

    private static void assertReadChecks(JsonNode response, JsonNode document, String user, String account) {
        assertThat(response.path("status").asString()).isEqualTo("warning");
        assertThat(document.path("account").path("exists").asBoolean(true)).isFalse();
        assertThat(document.path("role").path("exists").asBoolean(false)).isTrue();
        List<String> names = List.copyOf(document.propertyNames());
        assertThat(names.indexOf("account")).isEqualTo(names.indexOf("accountId") + 1);
        JsonNode warnings = response.path("notifications").path(user).path("warnings");
        JsonNode notFound = warnings.valueStream().filter(w -> w.path("type").asString().equals("not_found"))
                .findFirst().orElseThrow();
        assertThat(notFound.path("field").asString()).isEqualTo("accountId");
        assertThat(notFound.path("entity").asString()).isEqualTo("User");
        assertThat(notFound.path("entity_id").asString()).isEqualTo(user);
        assertThat(notFound.path("message").asString()).isEqualTo("Account " + account + " does not exist");
        assertThat(warnings.valueStream().filter(w -> w.path("type").asString().equals("validation")))
                .anyMatch(w -> w.path("field").asString().equals("username"));
    }

    private static Map<String, Object> user(String name) {
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("username", "u" + name);
        user.put("email", "u" + name + "@example.com");
        user.put("password", "s3cret-pass");
        user.put("firstName", "Ian");
        user.put("lastName", "Tegrity");
        user.put("isAccountOwner", false);
        user.put("accountId", accountId);
        user.put("roleId", roleId);
        return user;
    }

    private static JsonNode create(WebTestClient web, String entity, Map<String, Object> body) {
        return read(post(web, entity, body).expectStatus().isCreated());
    }

    private static WebTestClient.ResponseSpec post(WebTestClient web, String entity, Map<String, Object> body) {
        return web.post().uri("/api/" + entity).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private static WebTestClient.ResponseSpec put(WebTestClient web, String entity, String id, Map<String, Object> body) {
        return web.put().uri("/api/" + entity + "/" + id).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange();
    }

    private static String id(JsonNode response) {
        return response.path("data").path("id").asString();
    }

    private static JsonNode read(WebTestClient.ResponseSpec response) {
        return JSON.readTree(text(response));
    }

    private static String text(WebTestClient.ResponseSpec response) {
        return new String(response.expectBody().returnResult().getResponseBody());
    }

    private static String unique() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }
}
