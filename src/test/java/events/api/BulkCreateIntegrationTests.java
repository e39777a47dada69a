package events.api;

import static events.api.WriteRequests.get;
import static events.api.WriteRequests.post;
import static events.api.WriteRequests.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.api.WriteRequests.Response;
import events.support.TestServers;
import tools.jackson.databind.JsonNode;

/** Integration tests of bulk create (api.md 12.1) over HTTP against PostgreSQL. */
final class BulkCreateIntegrationTests {

    private static WebTestClient client;
    private static WebTestClient events;
    private static String parentId;

    @BeforeAll
    static void start() {
        client = TestServers.client(WriteRequests.writesServer());
        events = TestServers.client(TestServers.shared());
        parentId = post(client, "/api/Parent", Map.of("name", "Bulk parent " + unique())).data().path("id").asString();
    }

    @Test
    void anArrayCreatesEveryDocumentInRequestOrder() {
        String tag = unique();
        List<Map<String, Object>> children = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            children.add(Map.of("code", tag + "-" + i, "size", i, "parentId", parentId));
        }
        children.add(Map.of("id", "Client-" + tag, "code", tag + "-c", "parentId", parentId));
        Response created = post(client, "/api/Child", children);
        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
        assertThat(created.etag()).isNull();
        JsonNode data = created.data();
        assertThat(data.size()).isEqualTo(6);
        for (int i = 0; i < 5; i++) {
            assertThat(data.get(i).path("code").asString()).isEqualTo(tag + "-" + i);
            assertThat(data.get(i).path("id").asString()).hasSize(26);
            assertThat(data.get(i).has("createdAt")).isTrue();
            Response stored = get(client, "/api/Child/" + data.get(i).path("id").asString());
            assertThat(stored.data()).isEqualTo(data.get(i));
        }
        assertThat(data.get(5).path("id").asString()).isEqualTo("client-" + tag);
    }

    @Test
    void everyDocumentsValidationErrorsAreListedByPositionAndNothingIsStored() {
        String tag = unique();
        List<Object> children = List.of(
                Map.of("id", "good-" + tag, "code", tag + "-ok", "parentId", parentId),
                Map.of("code", "x", "size", 500, "parentId", parentId, "extra", 1),
                Map.of("code", tag + "-also-ok", "parentId", parentId),
                Map.of("size", "big", "parentId", "no-such-parent"));
        Response refused = post(client, "/api/Child", children);
        assertThat(refused.status()).isEqualTo(422);
        JsonNode notifications = refused.body().path("notifications");
        assertThat(notifications.path("[1]").path("errors").findValuesAsString("field")).containsExactlyInAnyOrder("code", "size");
        assertThat(notifications.path("[3]").path("errors").findValuesAsString("field")).containsExactlyInAnyOrder("code", "size");
        assertThat(notifications.has("[0]")).isFalse();
        refused.error("[1]", "validation_failed");
        assertThat(get(client, "/api/Child/good-" + tag).status()).isEqualTo(404);
    }

    @Test
    void missingForeignKeysAreListedByPositionInOneCheck() {
        String tag = unique();
        Response refused = post(client, "/api/Child", List.of(
                Map.of("id", "fk-ok-" + tag, "code", tag + "-1", "parentId", parentId),
                Map.of("code", tag + "-2", "parentId", "missing-" + tag),
                Map.of("code", tag + "-3", "parentId", "missing-" + tag, "nodeId", "no-node-" + tag)));
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.error("[1]", "validation_failed").path("field").asString()).isEqualTo("parentId");
        assertThat(refused.body().path("notifications").path("[2]").path("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("parentId", "nodeId");
        assertThat(get(client, "/api/Child/fk-ok-" + tag).status()).isEqualTo(404);
    }

    @Test
    void aReferenceToAnotherDocumentOfTheBatchCountsAsFound() {
        String tag = unique();
        Response created = post(client, "/api/Node", List.of(
                Map.of("id", "child-" + tag, "label", "child", "nodeId", "root-" + tag),
                Map.of("id", "root-" + tag, "label", "root")));
        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
    }

    @Test
    void duplicatesWithinTheBatchAndAgainstStoredDocumentsAreConflicts() {
        String tag = unique();
        Response stored = post(client, "/api/Child", Map.of("code", tag + "-stored", "parentId", parentId));
        assertThat(stored.status()).isEqualTo(201);
        Response refused = post(client, "/api/Child", List.of(
                Map.of("id", "dup-a-" + tag, "code", tag + "-same", "parentId", parentId),
                Map.of("code", (tag + "-SAME"), "parentId", parentId),
                Map.of("code", tag + "-stored", "parentId", parentId),
                Map.of("code", tag + "-fine", "parentId", parentId)));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error("[1]", "conflict").path("field").asString()).isEqualTo("code");
        assertThat(refused.error("[2]", "conflict").path("field").asString()).isEqualTo("code");
        assertThat(refused.body().path("notifications").has("[0]")).isFalse();
        assertThat(refused.body().path("notifications").has("[3]")).isFalse();
        assertThat(get(client, "/api/Child/dup-a-" + tag).status()).as("nothing stored").isEqualTo(404);

        Response ids = post(client, "/api/Child", List.of(
                Map.of("id", "same-" + tag, "code", tag + "-i1", "parentId", parentId),
                Map.of("id", "SAME-" + tag, "code", tag + "-i2", "parentId", parentId)));
        assertThat(ids.status()).isEqualTo(409);
        assertThat(ids.error("[1]", "conflict").path("field").asString()).isEqualTo("id");
        Response storedId = post(client, "/api/Child", List.of(
                Map.of("code", tag + "-i3", "parentId", parentId),
                Map.of("id", stored.data().path("id").asString(), "code", tag + "-i4", "parentId", parentId)));
        assertThat(storedId.status()).isEqualTo(409);
        assertThat(storedId.error("[1]", "conflict").path("field").asString()).isEqualTo("id");
    }

    @Test
    void validationComesBeforeForeignKeysAndForeignKeysBeforeConflicts() {
        String tag = unique();
        post(client, "/api/Child", Map.of("code", tag + "-taken", "parentId", parentId));
        Response invalid = post(client, "/api/Child", List.of(
                Map.of("code", tag + "-taken", "parentId", parentId),
                Map.of("code", tag + "-x", "parentId", "missing"),
                Map.of("code", "y", "parentId", parentId)));
        assertThat(invalid.status()).isEqualTo(422);
        assertThat(invalid.body().path("notifications").has("[1]")).as("foreign keys not reached").isFalse();
        invalid.error("[2]", "validation_failed");
        Response dangling = post(client, "/api/Child", List.of(
                Map.of("code", tag + "-taken", "parentId", parentId),
                Map.of("code", tag + "-x", "parentId", "missing")));
        assertThat(dangling.status()).isEqualTo(422);
        dangling.error("[1]", "validation_failed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "5", "\"text\"", "true", "null", "[1, 2]", "[{\"code\": \"ab\"}, []]"})
    void aBodyThatIsNeitherAnObjectNorAnArrayOfObjectsIsA400(String body) {
        long before = count();
        Response refused = post(client, "/api/Child", body);
        assertThat(refused.status()).as(body).isEqualTo(400);
        refused.error("general", "bad_request");
        assertThat(count()).isEqualTo(before);
    }

    @Test
    void atMost1000DocumentsPerRequest() {
        String tag = unique();
        List<Map<String, Object>> children = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            children.add(Map.of("code", tag + "-" + i, "parentId", parentId));
        }
        long before = count();
        Response refused = post(client, "/api/Child", children);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error("general", "bad_request").path("message").asString()).contains("1000");
        assertThat(count()).isEqualTo(before);
        Response created = post(client, "/api/Child", children.subList(0, 1000));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.data().size()).isEqualTo(1000);
        assertThat(count()).isEqualTo(before + 1000);
        assertThat(created.data().get(999).path("code").asString()).isEqualTo(tag + "-999");
    }

    @Test
    void ignoredFieldsAreWarnedByPosition() {
        Response created = post(client, "/api/Parent", List.of(Map.of("name", "W1 " + unique()),
                Map.of("name", "W2 " + unique(), "colour", "red")));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body().path("status").asString()).isEqualTo("warning");
        assertThat(created.body().path("notifications").path("[1]").path("warnings").path(0).path("field").asString())
                .isEqualTo("colour");
    }

    @Test
    void secretsAreHashedForEveryDocument() {
        String tag = unique();
        Response created = post(events, "/api/Auth", List.of(
                Map.of("name", "bulk1" + tag, "password", "bulk-pass-1", "roleId", "test-admin-role"),
                Map.of("name", "bulk2" + tag, "password", "bulk-pass-2", "roleId", "test-admin-role")));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.raw()).asString().doesNotContain("bulk-pass");
        TestServers.anonymous(TestServers.shared()).post().uri("/api/login")
                .contentType(org.springframework.http.MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("login", "bulk2" + tag, "password", "bulk-pass-2")).exchange().expectStatus().isOk();
    }

    private static long count() {
        return get(client, "/api/Child?pageSize=1").body().path("pagination").path("total").asLong();
    }
}
