package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

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
import tools.jackson.databind.node.ObjectNode;

/**
 * Issue 9: plain reads write each document from PostgreSQL's stored text (no tree), reads with a view
 * from the tree. Both must answer the same document: same values, schema order, secrets, nulls and keys
 * the schema no longer has left out, whatever the strings hold.
 */
final class StoredTextRenderingIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_it_text_" + ProcessHandle.current().pid();
    private static EventsServer server;
    private static WebTestClient client;

    @BeforeAll
    static void start() {
        server = TestServers.startSampleSchema(DATABASE);
        client = TestServers.client(server);
        client.post().uri("/api/Owner").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"id\": \"owner-t\", \"name\": \"Ann\"}").exchange().expectStatus().isCreated();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void plainReadsAnswerWhatTheTreeAnswers() {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        String body = """
                {"id": "text-%s", "text": "a, b", "weight": 12.50, "count": 3, "flag": false,
                 "tags": ["x: y", "quote \\" and \\\\ back", "tab\\tline\\n", "中文 😀", "]}"],
                 "meta": {"nested": {"list": [1, 2.5, null, true, "s p a c e d"], "empty": {}, "none": []},
                          "control": "\\u0001\\u001f"},
                 "anything": [{"a": "b, c"}, "  ", 0.001],
                 "secret": "never shown", "ownerId": "owner-t", "hidden": "h"}
                """.formatted(tag);
        JsonNode created = exchange(client.post().uri("/api/Sample").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body), 201);
        String id = "text-" + tag;
        JsonNode plain = exchange(client.get().uri("/api/Sample/" + id), 200).path("data");
        ObjectNode tree = (ObjectNode) exchange(client.get().uri("/api/Sample/" + id + "?view=owner(name)"), 200)
                .path("data").deepCopy();
        assertThat(tree.remove("owner")).as("the view path really is the tree path").isNotNull();

        assertThat(plain).isEqualTo(tree);
        assertThat(created.path("data")).isEqualTo(plain);
        assertThat(names(plain)).containsExactly("id", "text", "count", "weight", "flag", "ownerId", "tags", "meta",
                "anything", "status", "createdAt", "updatedAt");
        assertThat(plain.has("secret")).isFalse();
        assertThat(plain.has("hidden")).as("ui display secret is not answered either").isFalse();
        assertThat(plain.path("weight").decimalValue()).isEqualByComparingTo("12.50");
        assertThat(plain.path("tags")).isEqualTo(JSON.readTree(body).path("tags"));
        assertThat(plain.path("meta")).isEqualTo(JSON.readTree(body).path("meta"));
        assertThat(plain.path("anything")).isEqualTo(JSON.readTree(body).path("anything"));

        JsonNode listed = exchange(client.get().uri("/api/Sample?filter=id:" + id + "&full_match"), 200)
                .path("data").path(0);
        assertThat(listed).isEqualTo(plain);
        String line = client.get().uri("/api/Sample?filter=id:" + id + "&full_match")
                .accept(MediaType.APPLICATION_NDJSON).exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(line).endsWith("\n").doesNotContain("never shown").contains("\"list\":[1,2.5,null,true,");
        assertThat(JSON.readTree(line)).isEqualTo(plain);
    }

    /** Rows written by older releases or by hand: unknown keys and JSON nulls are left out, as from the tree. */
    @Test
    void unknownKeysAndNullsAreLeftOut() {
        String id = "planted-" + UUID.randomUUID().toString().substring(0, 8);
        TestSql.query(DATABASE, "INSERT INTO \"Sample\" (id, data) VALUES ($1, $2::jsonb)", id,
                "{\"text\": null, \"gone\": {\"x\": 1}, \"code\": \"ABC\", \"secret\": \"s\", \"zzz\": [1]}");
        JsonNode plain = exchange(client.get().uri("/api/Sample/" + id), 200).path("data");
        assertThat(plain.toString()).isEqualTo("{\"id\":\"" + id + "\",\"code\":\"ABC\"}");
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.propertyNames().forEach(names::add);
        return names;
    }

    private static JsonNode exchange(WebTestClient.RequestHeadersSpec<?> request, int status) {
        String body = request.exchange().expectStatus().isEqualTo(status).expectBody(String.class).returnResult()
                .getResponseBody();
        return JSON.readTree(body);
    }
}
