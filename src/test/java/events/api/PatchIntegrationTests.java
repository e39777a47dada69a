package events.api;

import static events.api.WriteRequests.get;
import static events.api.WriteRequests.patch;
import static events.api.WriteRequests.post;
import static events.api.WriteRequests.sendTyped;
import static events.api.WriteRequests.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

import events.api.WriteRequests.Response;
import events.support.TestServers;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;

/** Integration tests of PATCH with JSON merge patch (api.md 13) over HTTP against PostgreSQL. */
final class PatchIntegrationTests {

    private static WebTestClient client;
    private static WebTestClient events;
    private static String base;

    @BeforeAll
    static void start() {
        client = TestServers.client(WriteRequests.writesServer());
        base = "http://localhost:" + WriteRequests.writesServer().port();
        events = TestServers.client(TestServers.shared());
    }

    @Test
    void membersReplaceNullRemovesAbsentIsKeptAndJsonFieldsMerge() throws Exception {
        Response created = post(client, "/api/Wide", Map.of("title", "Merged", "f01", "one", "f02", "two", "count", 3,
                "settings", Map.of("theme", "dark", "size", Map.of("w", 1, "h", 2)), "tags", List.of("a", "b")));
        assertThat(created.status()).isEqualTo(201);
        String uri = "/api/Wide/" + created.data().path("id").asString();
        Thread.sleep(5); // so that the automatic updatedAt differs
        Map<String, Object> change = new HashMap<>();
        change.put("f01", "uno");
        change.put("f02", null);
        change.put("settings", WriteRequests.JSON.readTree("{\"theme\": null, \"size\": {\"h\": 3}, \"lang\": \"en\"}"));
        change.put("tags", List.of("c"));
        change.put("id", "ignored-id");
        Response patched = patch(client, uri, change);
        assertThat(patched.status()).as(patched.body().toString()).isEqualTo(200);
        JsonNode data = patched.data();
        assertThat(data.path("id").asString()).isEqualTo(created.data().path("id").asString());
        assertThat(data.path("f01").asString()).isEqualTo("uno");
        assertThat(data.has("f02")).isFalse();
        assertThat(data.path("count").asInt()).isEqualTo(3);
        assertThat(data.path("settings")).isEqualTo(WriteRequests.JSON.readTree(
                "{\"size\": {\"w\": 1, \"h\": 3}, \"lang\": \"en\"}"));
        assertThat(data.path("tags").toString()).isEqualTo("[\"c\"]");
        assertThat(data.path("createdAt")).isEqualTo(created.data().path("createdAt"));
        assertThat(data.path("updatedAt").asString()).isGreaterThan(created.data().path("updatedAt").asString());
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.body().path("status").asString()).isEqualTo("success");
        assertThat(get(client, uri).data()).isEqualTo(data);
    }

    @Test
    void plainJsonIsAcceptedAsAMergePatch() {
        Response created = post(client, "/api/Wide", Map.of("title", "Plain"));
        Response patched = sendTyped(client, HttpMethod.PATCH, "/api/Wide/" + created.data().path("id").asString(),
                Map.of("f03", "three"), "application/json");
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.data().path("f03").asString()).isEqualTo("three");
    }

    @Test
    void theMergedDocumentIsValidatedWithEveryFailureAtOnce() {
        Response created = post(client, "/api/Wide", Map.of("title", "Valid"));
        String id = created.data().path("id").asString();
        Map<String, Object> change = new HashMap<>();
        change.put("title", null);
        change.put("count", -1);
        change.put("tags", "not an array");
        Response refused = patch(client, "/api/Wide/" + id, change);
        assertThat(refused.status()).isEqualTo(422);
        refused.error(id, "validation_failed");
        assertThat(refused.body().path("notifications").path(id).path("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("title", "count", "tags");
        assertThat(get(client, "/api/Wide/" + id).data()).isEqualTo(created.data());
    }

    @Test
    void unknownMembersAreIgnoredWithAWarning() {
        Response created = post(client, "/api/Wide", Map.of("title", "Warned"));
        String id = created.data().path("id").asString();
        Response patched = patch(client, "/api/Wide/" + id, Map.of("nosuch", 1, "f04", "four"));
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.body().path("status").asString()).isEqualTo("warning");
        assertThat(patched.body().path("notifications").path(id).path("warnings").path(0).path("type").asString())
                .isEqualTo("ignored");
    }

    @Test
    void jsonPatchIsA415NamingMergePatch() {
        Response created = post(client, "/api/Wide", Map.of("title", "Typed"));
        Response refused = sendTyped(client, HttpMethod.PATCH, "/api/Wide/" + created.data().path("id").asString(),
                "[{\"op\": \"replace\", \"path\": \"/title\", \"value\": \"x\"}]", "application/json-patch+json");
        assertThat(refused.status()).isEqualTo(415);
        assertThat(refused.error("general", "unsupported_media_type").path("message").asString())
                .contains("application/merge-patch+json");
        Response text = sendTyped(client, HttpMethod.PATCH, "/api/Wide/" + created.data().path("id").asString(),
                "title=x", "text/plain");
        assertThat(text.status()).isEqualTo(415);
    }

    @Test
    void aPatchThatIsNotAnObjectIsA400() {
        Response created = post(client, "/api/Wide", Map.of("title", "Shaped"));
        for (String body : new String[] {"[]", "\"title\"", "null", "{bad json"}) {
            Response refused = sendTyped(client, HttpMethod.PATCH, "/api/Wide/" + created.data().path("id").asString(),
                    body, "application/merge-patch+json");
            assertThat(refused.status()).as(body).isEqualTo(400);
            refused.error("general", "bad_request");
        }
        assertThat(get(client, "/api/Wide/" + created.data().path("id").asString()).data()).isEqualTo(created.data());
    }

    @Test
    void errorsComeInTheOrderOfSection13() {
        Response parent = post(client, "/api/Parent", Map.of("name", "P " + unique()));
        Response other = post(client, "/api/Parent", Map.of("name", "Q " + unique()));
        Response child = post(client, "/api/Child", Map.of("code", "c" + unique(), "parentId", parent.data().path("id").asString()));
        Response taken = post(client, "/api/Child", Map.of("code", "t" + unique(), "parentId", parent.data().path("id").asString()));
        String id = child.data().path("id").asString();
        String uri = "/api/Child/" + id;
        // 422 of the patch's own members, before 404
        assertThat(patch(client, "/api/Child/nobody", Map.of("size", 500), "If-Match", "\"0\"").status()).isEqualTo(422);
        assertThat(patch(client, "/api/Child/nobody", Map.of("size", 5), "If-Match", "\"0\"").status()).isEqualTo(404);
        // 412 before the foreign key and the unique key
        Map<String, Object> both = Map.of("parentId", "no-such-parent", "code", taken.data().path("code").asString());
        assertThat(patch(client, uri, both, "If-Match", "\"0\"").status()).isEqualTo(412);
        Response fk = patch(client, uri, both, "If-Match", child.etag());
        assertThat(fk.status()).isEqualTo(422);
        assertThat(fk.error(id, "validation_failed").path("field").asString()).isEqualTo("parentId");
        Response unique = patch(client, uri, Map.of("code", taken.data().path("code").asString(),
                "parentId", other.data().path("id").asString()));
        assertThat(unique.status()).isEqualTo(409);
        assertThat(unique.error(id, "conflict").path("field").asString()).isEqualTo("code");
        assertThat(get(client, uri).etag()).isEqualTo(child.etag());
    }

    @Test
    void aPatchOfAnOperationTheSchemaExcludesIs405() {
        Response created = post(client, "/api/Locked", Map.of("name", "Fixed"));
        Response refused = patch(client, "/api/Locked/" + created.data().path("id").asString(), Map.of("name", "Moved"));
        assertThat(refused.status()).isEqualTo(405);
    }

    /** 50 clients patch one document at once, each a different field: all 50 values survive (the row lock). */
    @Test
    void concurrentPatchesOfDifferentFieldsAllSurvive() {
        Response created = post(client, "/api/Wide", Map.of("title", "Crowded"));
        String id = created.data().path("id").asString();
        WebClient web = WebClient.create(base);
        List<Integer> statuses = Flux.range(0, 50)
                .flatMap(i -> web.patch().uri("/api/Wide/" + id).contentType(MediaType.valueOf("application/merge-patch+json"))
                        .bodyValue(Map.of(String.format("f%02d", i), "value " + i))
                        .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value())), 50)
                .collectList()
                .block(Duration.ofSeconds(120));
        assertThat(statuses).hasSize(50).containsOnly(200);
        JsonNode stored = get(client, "/api/Wide/" + id).data();
        for (int i = 0; i < 50; i++) {
            assertThat(stored.path(String.format("f%02d", i)).asString()).isEqualTo("value " + i);
        }
        assertThat(stored.path("title").asString()).isEqualTo("Crowded");
    }

    @Test
    void aSecretIsKeptUnlessThePatchSendsOne() {
        String name = "patcher" + unique();
        Response created = post(events, "/api/Auth", Map.of("name", name, "password", "first-pass", "roleId", "test-admin-role"));
        assertThat(created.status()).isEqualTo(201);
        String uri = "/api/Auth/" + created.data().path("id").asString();
        assertThat(patch(events, uri, Map.of("name", name + "x")).status()).isEqualTo(200);
        login(name + "x", "first-pass").expectStatus().isOk();
        Response changed = patch(events, uri, Map.of("password", "second-pass"));
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.data().has("password")).isFalse();
        login(name + "x", "first-pass").expectStatus().isUnauthorized();
        login(name + "x", "second-pass").expectStatus().isOk();
        Response tooShort = patch(events, uri, Map.of("password", "short"));
        assertThat(tooShort.error(created.data().path("id").asString(), "validation_failed").has("value"))
                .as("a secret is never echoed").isFalse();
    }

    private static WebTestClient.ResponseSpec login(String name, String password) {
        return TestServers.anonymous(TestServers.shared()).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("login", name, "password", password)).exchange();
    }
}
