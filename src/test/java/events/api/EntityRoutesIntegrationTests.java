package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.support.TestServers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Integration tests of the entity routes (api.md 3 and 4) over HTTP against PostgreSQL. */
final class EntityRoutesIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static WebTestClient client;
    private static String accountId;
    private static String roleId;

    @BeforeAll
    static void startServer() {
        client = TestServers.client(TestServers.shared());
        accountId = create("Account", Map.of("name", "Acme Holdings " + unique())).path("data").path("id").asString();
        roleId = create("Role", Map.of("role", "manager-" + unique(), "permissions", Map.of("*", "crud")))
                .path("data").path("id").asString();
    }

    @Test
    void walkThroughCreateGetListReplaceDeleteDeleteGet() {
        String username = "mgr" + unique();
        JsonNode created = create("User", user(username));
        String id = created.path("data").path("id").asString();
        assertThat(id).hasSize(26).isEqualTo(id.toLowerCase());
        assertThat(created.path("status").asString()).isEqualTo("success");
        assertThat(created.path("notifications").isEmpty()).isTrue();

        JsonNode fetched = body(client.get().uri("/api/User/{id}", id).exchange().expectStatus().isOk());
        assertThat(fetched.path("data")).isEqualTo(created.path("data"));

        Map<String, Object> replacement = user(username);
        replacement.put("lastName", "Grant-Smith");
        replacement.remove("netWorth");
        JsonNode replaced = body(client.put().uri("/api/User/{id}", id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(replacement).exchange().expectStatus().isOk());
        assertThat(replaced.path("data").path("lastName").asString()).isEqualTo("Grant-Smith");
        assertThat(replaced.path("data").has("netWorth")).as("omitted optional field removed").isFalse();
        assertThat(replaced.path("data").path("createdAt")).isEqualTo(created.path("data").path("createdAt"));
        JsonNode again = body(client.get().uri("/api/User/{id}", id).exchange().expectStatus().isOk());
        assertThat(again.path("data")).isEqualTo(replaced.path("data"));

        JsonNode deleted = body(client.delete().uri("/api/User/{id}", id).exchange().expectStatus().isOk());
        assertThat(deleted.path("data")).isEqualTo(replaced.path("data"));
        JsonNode deletedAgain = body(client.delete().uri("/api/User/{id}", id).exchange().expectStatus().isOk());
        assertThat(deletedAgain.path("data").isObject()).isTrue();
        assertThat(deletedAgain.path("data").isEmpty()).isTrue();
        assertThat(deletedAgain.path("status").asString()).isEqualTo("success");

        JsonNode missing = body(client.get().uri("/api/User/{id}", id).exchange().expectStatus().isNotFound());
        assertError(missing, id, "not_found");
    }

    @Test
    void documentsComeBackWithIdFirstThenSchemaOrderAndNoSecrets() {
        JsonNode created = create("User", user("order" + unique()));
        var names = created.path("data").propertyNames().iterator();
        assertThat(names.next()).isEqualTo("id");
        assertThat(names.next()).isEqualTo("username");
        assertThat(names.next()).isEqualTo("email");
        assertThat(created.path("data").has("password")).isFalse();
        assertThat(created.toString()).doesNotContain("s3cret-pass");
    }

    @Test
    void entityNamesInPathsAreCaseInsensitive() {
        String id = create("account", Map.of("name", "Lower Case Inc")).path("data").path("id").asString();
        client.get().uri("/api/ACCOUNT/{id}", id).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.data.name").isEqualTo("Lower Case Inc");
    }

    @Test
    void clientIdIsTrimmedAndLowerCasedAndPathIdsToo() {
        String raw = "  Acc-" + unique().toUpperCase() + " ";
        JsonNode created = create("Account", Map.of("id", raw, "name", "Client Id Corp"));
        String id = created.path("data").path("id").asString();
        assertThat(id).isEqualTo(raw.trim().toLowerCase());
        client.get().uri("/api/Account/{id}", id.toUpperCase()).exchange().expectStatus().isOk();
    }

    @ParameterizedTest
    @ValueSource(strings = {"has space", "a/b", "tab\there", ""})
    void rejectsBadClientIds(String badId) {
        JsonNode response = body(post("Account", Map.of("id", badId, "name", "Bad Id Corp"))
                .expectStatus().isEqualTo(422));
        assertThat(response.path("notifications").path("new").path("errors").get(0).path("field").asString())
                .isEqualTo("id");
    }

    @Test
    void acceptsClientIdsUpTo128Characters() {
        post("Account", Map.of("id", "x".repeat(129), "name", "Long Id Corp")).expectStatus().isEqualTo(422);
        String longest = unique() + "y".repeat(116);
        post("Account", Map.of("id", longest, "name", "Long Id Corp")).expectStatus().isCreated();
    }

    @Test
    void duplicateClientIdIsAConflict() {
        String id = "dup-" + unique();
        post("Account", Map.of("id", id, "name", "First Corp")).expectStatus().isCreated();
        JsonNode response = body(post("Account", Map.of("id", id.toUpperCase(), "name", "Second Corp"))
                .expectStatus().isEqualTo(409));
        assertError(response, id, "conflict");
    }

    @Test
    void duplicateUsernameIgnoringCaseIsAConflictNamingTheField() {
        String username = "Dup" + unique();
        create("User", user(username));
        Map<String, Object> second = user(username.toUpperCase());
        second.put("email", "other" + unique() + "@example.com");
        JsonNode response = body(post("User", second).expectStatus().isEqualTo(409));
        JsonNode error = response.path("notifications").path("new").path("errors").get(0);
        assertThat(error.path("type").asString()).isEqualTo("conflict");
        assertThat(error.path("field").asString()).isEqualTo("username");
        assertThat(error.path("message").asString()).contains("username");
        assertThat(response.path("data").isNull()).isTrue();
    }

    @Test
    void putNeverCreatesAndPathIdWins() {
        client.put().uri("/api/Account/{id}", "nobody-" + unique()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", "Ghost Corp")).exchange().expectStatus().isNotFound();
        String id = create("Account", Map.of("name", "Path Wins Corp")).path("data").path("id").asString();
        client.put().uri("/api/Account/{id}", id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("id", "other-id", "name", "Path Wins Again")).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.data.id").isEqualTo(id).jsonPath("$.data.name").isEqualTo("Path Wins Again");
    }

    @Test
    void unknownBodyFieldIsIgnoredWithAWarningButExpansionSilently() {
        Map<String, Object> body = user("warn" + unique());
        body.put("favouriteColour", "green");
        body.put("account", Map.of("exists", true));
        JsonNode response = body(post("User", body).expectStatus().isCreated());
        assertThat(response.path("status").asString()).isEqualTo("warning");
        JsonNode warnings = response.path("notifications").path("new").path("warnings");
        assertThat(warnings.size()).isEqualTo(1);
        assertThat(warnings.get(0).path("type").asString()).isEqualTo("ignored");
        assertThat(warnings.get(0).path("field").asString()).isEqualTo("favouriteColour");
        assertThat(response.path("data").has("favouriteColour")).isFalse();
        assertThat(response.path("data").has("account")).isFalse();
    }

    @Test
    void listPagesByIdWithExactTotal() {
        String prefix = "page" + unique();
        for (int i = 0; i < 7; i++) {
            create("Event", Map.of("id", prefix + "-" + i, "url", "https://example.org/" + i, "title", "Event " + i,
                    "dateTime", "2026-01-0" + (i + 1)));
        }
        JsonNode page = body(client.get().uri("/api/Event?pageSize=1000").exchange().expectStatus().isOk());
        long total = page.path("pagination").path("total").asLong();
        assertThat(total).isGreaterThanOrEqualTo(7);
        String previous = "";
        for (JsonNode document : page.path("data")) {
            assertThat(document.path("id").asString()).isGreaterThan(previous);
            previous = document.path("id").asString();
        }
        JsonNode second = body(client.get().uri("/api/Event?page=2&pageSize=3").exchange().expectStatus().isOk());
        assertThat(second.path("data").size()).isEqualTo(3);
        assertThat(second.path("data").get(0).path("id").asString())
                .isEqualTo(page.path("data").get(3).path("id").asString());
        assertThat(second.path("pagination").path("page").asInt()).isEqualTo(2);
        assertThat(second.path("pagination").path("pageSize").asInt()).isEqualTo(3);
        assertThat(second.path("pagination").path("total").asLong()).isEqualTo(total);
        assertThat(second.path("pagination").path("totalPages").asLong()).isEqualTo((total + 2) / 3);
    }

    @Test
    void pagePastTheEndIsEmptyAndEchoesTheRequest() {
        JsonNode response = body(client.get().uri("/api/Event?page=100000&pageSize=7").exchange().expectStatus().isOk());
        assertThat(response.path("data").isArray()).isTrue();
        assertThat(response.path("data").isEmpty()).isTrue();
        assertThat(response.path("pagination").path("page").asInt()).isEqualTo(100000);
        assertThat(response.path("pagination").path("pageSize").asInt()).isEqualTo(7);
        JsonNode all = body(client.get().uri("/api/Event?pageSize=1000").exchange().expectStatus().isOk());
        assertThat(response.path("pagination").path("total").asLong())
                .isEqualTo(all.path("pagination").path("total").asLong());
    }

    @Test
    void emptyListHasZeroTotalPages() {
        JsonNode response = body(client.get().uri("/api/Crawl").exchange().expectStatus().isOk());
        assertThat(response.path("pagination").path("total").asLong()).isZero();
        assertThat(response.path("pagination").path("totalPages").asLong()).isZero();
        assertThat(response.path("pagination").path("pageSize").asInt()).isEqualTo(25);
    }

    @ParameterizedTest
    @ValueSource(strings = {"page=0", "page=-1", "page=1.5", "page=x", "pageSize=0", "pageSize=-5", "pageSize=1001",
            "PAGESIZE=abc"})
    void rejectsBadPagination(String query) {
        JsonNode response = body(client.get().uri("/api/Account?" + query).exchange().expectStatus().isBadRequest());
        JsonNode error = response.path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("type").asString()).isEqualTo("bad_request");
        assertThat(error.path("field").asString()).isEqualTo(query.startsWith("page=") ? "page" : "pageSize");
        assertThat(response.path("data").isNull()).isTrue();
    }

    @Test
    void parameterNamesAreCaseInsensitiveAndTheLastWins() {
        client.get().uri("/api/Account?PAGESIZE=3&pagesize=2").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.pagination.pageSize").isEqualTo(2);
        client.get().uri("/api/Account?pageSize=0&pageSize=4").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.pagination.pageSize").isEqualTo(4);
    }

    @Test
    void unknownParameterIsABadRequestListingTheValidOnes() {
        JsonNode response = body(client.get().uri("/api/Account?limit=5").exchange().expectStatus().isBadRequest());
        JsonNode error = response.path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("field").asString()).isEqualTo("limit");
        assertThat(error.path("message").asString()).contains("pageSize").contains("filter");
        client.get().uri("/api/Account/x?limit=5").exchange().expectStatus().isBadRequest();
    }

    @Test
    void parametersAreCheckedBeforeTheBody() {
        client.post().uri("/api/Account?bogus=1").contentType(MediaType.APPLICATION_JSON).bodyValue("{not json")
                .exchange().expectStatus().isBadRequest()
                .expectBody().jsonPath("$.notifications.general.errors[0].field").isEqualTo("bogus");
    }

    @Test
    void trailingAndDoubledSlashesStillMeanTheList() {
        client.get().uri("/api/Account/").exchange().expectStatus().isOk().expectBody().jsonPath("$.pagination").exists();
        client.get().uri("/api/Account//").exchange().expectStatus().isOk().expectBody().jsonPath("$.pagination").exists();
        client.get().uri("/api//Account").exchange().expectStatus().isOk().expectBody().jsonPath("$.pagination").exists();
        client.get().uri("/api///Account///").exchange().expectStatus().isOk().expectBody().jsonPath("$.pagination").exists();
    }

    @Test
    void responsesAreJsonWhateverTheAcceptHeader() {
        client.get().uri("/api/Account").accept(MediaType.TEXT_HTML).exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON);
        client.get().uri("/api/Nope").accept(MediaType.TEXT_PLAIN).exchange().expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON);
    }

    @Test
    void unknownEntityAndUnknownRoutesAreNotFound() {
        assertError(body(client.get().uri("/api/Nope").exchange().expectStatus().isNotFound()), "general", "not_found");
        assertError(body(client.get().uri("/api/Nope/1").exchange().expectStatus().isNotFound()), "general", "not_found");
        assertError(body(client.get().uri("/api/Account/1/2").exchange().expectStatus().isNotFound()), "general",
                "not_found");
        assertError(body(client.delete().uri("/api/Nope/1").exchange().expectStatus().isNotFound()), "general",
                "not_found");
        client.get().uri("/elsewhere").exchange().expectStatus().isNotFound();
    }

    @Test
    void wrongMethodsAreNotAllowed() {
        assertError(body(client.delete().uri("/api/Account").exchange().expectStatus().isEqualTo(405)), "general",
                "method_not_allowed");
        client.put().uri("/api/Account").contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange()
                .expectStatus().isEqualTo(405).expectHeader().valueEquals("Allow", "GET, POST");
        client.post().uri("/api/Account/x").contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange()
                .expectStatus().isEqualTo(405).expectHeader().valueEquals("Allow", "GET, PUT, PATCH, DELETE");
        client.patch().uri("/api/Account").contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange()
                .expectStatus().isEqualTo(405).expectHeader().valueEquals("Allow", "GET, POST");
    }

    @Test
    void unparseableJsonIsABadRequest() {
        for (String bad : new String[] {"{not json", "{\"name\": }", "{\"a\":1}{", "{\"name\":\"x\",\"name\":\"y\"}"}) {
            JsonNode response = body(client.post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(bad).exchange().expectStatus().isBadRequest());
            assertError(response, "general", "bad_request");
        }
        client.post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON).exchange()
                .expectStatus().isBadRequest();
        client.post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON).bodyValue("[1,2]").exchange()
                .expectStatus().isBadRequest();
    }

    @Test
    void nonJsonBodyIsUnsupported() {
        assertError(body(client.post().uri("/api/Account").contentType(MediaType.TEXT_PLAIN).bodyValue("name=x")
                .exchange().expectStatus().isEqualTo(415)), "general", "unsupported_media_type");
        client.put().uri("/api/Account/x").contentType(MediaType.APPLICATION_FORM_URLENCODED).bodyValue("name=x")
                .exchange().expectStatus().isEqualTo(415);
    }

    @Test
    void bodyOverOneMebibyteIsTooLarge() {
        String big = "{\"name\":\"" + "a".repeat(1024 * 1024) + "\"}";
        assertError(body(client.post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON).bodyValue(big)
                .exchange().expectStatus().isEqualTo(413)), "general", "payload_too_large");
        String fits = "{\"name\":\"" + "b".repeat(1000 * 1000) + "\"}";
        client.post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON).bodyValue(fits)
                .exchange().expectStatus().isCreated();
    }

    @Test
    void validationFailuresAreAllReportedTogether() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("username", "ab");
        body.put("email", "not-an-email");
        body.put("firstName", "Mary");
        body.put("lastName", "Grant");
        body.put("isAccountOwner", "true");
        body.put("netWorth", -1);
        body.put("gender", "robot");
        body.put("accountId", accountId);
        body.put("roleId", roleId);
        JsonNode response = body(post("User", body).expectStatus().isEqualTo(422));
        JsonNode errors = response.path("notifications").path("new").path("errors");
        assertThat(errors.valueStream().map(e -> e.path("field").asString()))
                .containsExactlyInAnyOrder("username", "email", "password", "isAccountOwner", "netWorth", "gender");
        errors.forEach(e -> assertThat(e.path("type").asString()).isEqualTo("validation_failed"));
        assertThat(errors.valueStream().filter(e -> e.path("field").asString().equals("email")).findFirst()
                .orElseThrow().path("message").asString()).isEqualTo("Bad email address format");
    }

    private static Map<String, Object> user(String username) {
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("username", username);
        user.put("email", username.toLowerCase() + "@example.com");
        user.put("password", "s3cret-pass");
        user.put("firstName", "Mary");
        user.put("lastName", "Grant");
        user.put("isAccountOwner", true);
        user.put("netWorth", 25000);
        user.put("accountId", accountId);
        user.put("roleId", roleId);
        return user;
    }

    static JsonNode create(String entity, Map<String, Object> body) {
        return body(post(entity, body).expectStatus().isCreated());
    }

    static WebTestClient.ResponseSpec post(String entity, Map<String, Object> body) {
        return client.post().uri("/api/" + entity).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    static JsonNode body(WebTestClient.ResponseSpec response) {
        byte[] bytes = response.expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody().returnResult().getResponseBody();
        assertThat(bytes).as("response body").isNotNull();
        return JSON.readTree(bytes);
    }

    static void assertError(JsonNode response, String key, String type) {
        assertThat(response.path("status").asString()).isEqualTo("error");
        assertThat(response.path("data").isNull()).isTrue();
        JsonNode error = response.path("notifications").path(key).path("errors").get(0);
        assertThat(error).as("error under " + key + " in " + response).isNotNull();
        assertThat(error.path("type").asString()).isEqualTo(type);
        assertThat(error.path("message").asString()).isNotBlank().hasSizeLessThanOrEqualTo(100);
    }

    static String unique() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
