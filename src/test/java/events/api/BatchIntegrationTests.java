package events.api;

import static events.api.WriteRequests.get;
import static events.api.WriteRequests.post;
import static events.api.WriteRequests.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.HttpMethod;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.api.WriteRequests.Response;
import events.support.TestServers;
import tools.jackson.databind.JsonNode;

/** Integration tests of atomic batches (api.md 14) over HTTP against PostgreSQL. */
final class BatchIntegrationTests {

    private static WebTestClient client;

    @BeforeAll
    static void start() {
        client = TestServers.client(WriteRequests.writesServer());
    }

    @Test
    void operationsRunInOrderAndLaterOnesUseEarlierResults() {
        String tag = unique();
        Response node = post(client, "/api/Node", Map.of("label", "to delete"));
        Response batch = batch(
                op("POST", "Parent", null, Map.of("name", "Batch " + tag), "parent"),
                op("POST", "Child", null, Map.of("code", tag + "-1", "parentId", "$parent.id"), "child"),
                op("PATCH", "Child", "$child.id", Map.of("size", 7), null),
                op("PUT", "Parent", "$parent.id", Map.of("name", "Batch renamed " + tag), null),
                op("DELETE", "Node", node.data().path("id").asString(), null, null),
                op("DELETE", "Node", "never-there-" + tag, null, null));
        assertThat(batch.status()).as(batch.body().toString()).isEqualTo(200);
        JsonNode results = batch.data();
        assertThat(results.size()).isEqualTo(6);
        int[] statuses = {201, 201, 200, 200, 200, 200};
        for (int i = 0; i < statuses.length; i++) {
            assertThat(results.get(i).path("status").isInt()).isTrue();
            assertThat(results.get(i).path("status").asInt()).isEqualTo(statuses[i]);
        }
        String parentId = results.get(0).path("data").path("id").asString();
        JsonNode child = results.get(2).path("data");
        assertThat(child.path("parentId").asString()).isEqualTo(parentId);
        assertThat(child.path("size").asInt()).isEqualTo(7);
        assertThat(results.get(5).path("data").isEmpty()).isTrue();
        Response stored = get(client, "/api/Child/" + child.path("id").asString());
        assertThat(stored.data()).isEqualTo(child);
        assertThat(stored.etag()).isEqualTo(results.get(2).path("etag").asString());
        assertThat(get(client, "/api/Parent/" + parentId).data().path("name").asString()).isEqualTo("Batch renamed " + tag);
        assertThat(get(client, "/api/Node/" + node.data().path("id").asString()).status()).isEqualTo(404);
    }

    @Test
    void aFailureAtTheLastOperationStoresNothing() {
        String tag = unique();
        Response kept = post(client, "/api/Parent", Map.of("name", "Untouched " + tag));
        Response node = post(client, "/api/Node", Map.of("label", "survivor"));
        Response batch = batch(
                op("POST", "Parent", null, Map.of("id", "rolled-" + tag, "name", "Rolled back " + tag), "p"),
                op("POST", "Child", null, Map.of("id", "rolled-child-" + tag, "code", tag + "-c", "parentId", "$p.id"), null),
                op("PUT", "Parent", kept.data().path("id").asString(), Map.of("name", "Changed " + tag), null),
                op("DELETE", "Node", node.data().path("id").asString(), null, null),
                op("POST", "Child", null, Map.of("code", "x", "parentId", "$p.id"), null));
        assertThat(batch.status()).isEqualTo(422);
        assertThat(batch.error("[4]", "validation_failed").path("field").asString()).isEqualTo("code");
        assertThat(get(client, "/api/Parent/rolled-" + tag).status()).isEqualTo(404);
        assertThat(get(client, "/api/Child/rolled-child-" + tag).status()).isEqualTo(404);
        assertThat(get(client, "/api/Parent/" + kept.data().path("id").asString()).data()).isEqualTo(kept.data());
        assertThat(get(client, "/api/Node/" + node.data().path("id").asString()).status()).isEqualTo(200);
    }

    @Test
    void theFirstFailureDecidesTheStatus() {
        String tag = unique();
        Response parent = post(client, "/api/Parent", Map.of("name", "Guarded " + tag));
        String id = parent.data().path("id").asString();
        Response stale = batch(
                op("PATCH", "Parent", id, Map.of("name", "Changed " + tag), null, "\"0\""),
                op("POST", "Child", null, Map.of("code", "x", "parentId", id), null));
        assertThat(stale.status()).isEqualTo(412);
        stale.error("[0]", "precondition_failed");
        Response missing = batch(
                op("POST", "Parent", null, Map.of("name", "Made " + tag), null),
                op("PUT", "Parent", "nobody-" + tag, Map.of("name", "Nobody " + tag), null),
                op("POST", "Child", null, Map.of("code", "x", "parentId", id), null));
        assertThat(missing.status()).isEqualTo(404);
        missing.error("[1]", "not_found");
        Response duplicate = batch(
                op("POST", "Parent", null, Map.of("name", "Twice " + tag), null),
                op("POST", "Parent", null, Map.of("name", "Twice " + tag), null));
        assertThat(duplicate.status()).isEqualTo(409);
        duplicate.error("[1]", "conflict");
        Response matched = batch(op("PATCH", "Parent", id, Map.of("name", "Matched " + tag), null, parent.etag()),
                op("DELETE", "Parent", id, null, null, "*"));
        assertThat(matched.status()).as(matched.body().toString()).isEqualTo(200);
        assertThat(get(client, "/api/Parent/" + id).status()).isEqualTo(404);
        Response excluded = batch(op("POST", "Locked", null, Map.of("name", "ok"), "l"),
                op("PUT", "Locked", "$l.id", Map.of("name", "no"), null));
        assertThat(excluded.status()).isEqualTo(405);
        excluded.error("[1]", "method_not_allowed");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"operations\": [{\"method\": \"GET\", \"entity\": \"Parent\", \"id\": \"x\"}]}|[0]|method",
            "{\"operations\": [{\"method\": \"POST\", \"entity\": \"Nosuch\", \"body\": {}}]}|[0]|entity",
            "{\"operations\": [{\"method\": \"POST\", \"entity\": \"Parent\", \"body\": {\"name\": \"$p.id\"}}]}|[0]|body",
            "{\"operations\": [{\"method\": \"POST\", \"entity\": \"Parent\", \"body\": {\"name\": \"a\"}}, {\"method\": \"PUT\", \"entity\": \"Parent\", \"id\": \"$later.id\", \"body\": {}}, {\"method\": \"POST\", \"entity\": \"Parent\", \"body\": {\"name\": \"b\"}, \"ref\": \"later\"}]}|[1]|id",
            "{\"operations\": [{\"method\": \"PUT\", \"entity\": \"Parent\", \"body\": {}}]}|[0]|id",
            "{\"operations\": [{\"method\": \"POST\", \"entity\": \"Parent\", \"body\": []}]}|[0]|body",
            "{\"operations\": [{\"method\": \"DELETE\", \"entity\": \"Parent\", \"id\": \"x\", \"ifMatch\": \"17\"}]}|[0]|ifMatch",
            "{\"operations\": [{\"method\": \"POST\", \"entity\": \"Parent\", \"body\": {}, \"ref\": \"1x\"}]}|[0]|ref",
            "{\"operations\": [{\"method\": \"POST\", \"entity\": \"Parent\", \"body\": {}, \"verb\": 1}]}|[0]|verb",
            "{\"operations\": [5]}|[0]|",
            "{\"operations\": []}|general|operations",
            "{\"operations\": {}}|general|operations",
            "{}|general|operations",
            "[]|general|"})
    void malformedBatchesAreA400NamingThePartAndStoreNothing(String body, String key, String field) {
        long before = parents();
        Response refused = post(client, "/api/_batch", body);
        assertThat(refused.status()).as(refused.body().toString()).isEqualTo(400);
        JsonNode error = refused.error(key, "bad_request");
        if (field != null) {
            assertThat(error.path("field").asString()).isEqualTo(field);
        }
        assertThat(parents()).isEqualTo(before);
    }

    @Test
    void atMost100Operations() {
        List<Map<String, Object>> operations = new ArrayList<>();
        String tag = unique();
        for (int i = 0; i < 101; i++) {
            operations.add(op("POST", "Parent", null, Map.of("name", "Many " + tag + " " + i), null));
        }
        long before = parents();
        Response refused = post(client, "/api/_batch", Map.of("operations", operations));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error("general", "bad_request").path("message").asString()).contains("100");
        assertThat(parents()).isEqualTo(before);
        Response accepted = post(client, "/api/_batch", Map.of("operations", operations.subList(0, 100)));
        assertThat(accepted.status()).isEqualTo(200);
        assertThat(parents()).isEqualTo(before + 100);
    }

    @Test
    void aReferenceToAMissingFieldIsA400AndRollsBack() {
        String tag = unique();
        Response refused = batch(op("POST", "Parent", null, Map.of("id", "ref-" + tag, "name", "Ref " + tag), "p"),
                op("POST", "Child", null, Map.of("code", tag, "parentId", "$p.nosuch"), null));
        assertThat(refused.status()).isEqualTo(400);
        refused.error("[1]", "bad_request");
        assertThat(get(client, "/api/Parent/ref-" + tag).status()).isEqualTo(404);
    }

    @Test
    void otherMethodsOnTheBatchPathAre405() {
        Response refused = WriteRequests.send(client, HttpMethod.GET, "/api/_batch", null);
        assertThat(refused.status()).isEqualTo(405);
        assertThat(refused.headers().getFirst("Allow")).isEqualTo("POST");
    }

    private static long parents() {
        return get(client, "/api/Parent?pageSize=1").body().path("pagination").path("total").asLong();
    }

    @SafeVarargs
    private static Response batch(Map<String, Object>... operations) {
        return post(client, "/api/_batch", Map.of("operations", List.of(operations)));
    }

    static Map<String, Object> op(String method, String entity, String id, Map<String, Object> body, String ref) {
        return op(method, entity, id, body, ref, null);
    }

    static Map<String, Object> op(String method, String entity, String id, Map<String, Object> body, String ref,
                                  String ifMatch) {
        Map<String, Object> operation = new HashMap<>();
        operation.put("method", method);
        operation.put("entity", entity);
        if (id != null) {
            operation.put("id", id);
        }
        if (body != null) {
            operation.put("body", body);
        }
        if (ref != null) {
            operation.put("ref", ref);
        }
        if (ifMatch != null) {
            operation.put("ifMatch", ifMatch);
        }
        return operation;
    }
}
