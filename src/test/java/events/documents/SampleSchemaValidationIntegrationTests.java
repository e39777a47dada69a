package events.documents;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every field type and constraint (api.md 6 and 7) through HTTP, on a schema made for it
 * ({@code sample-schema.yaml}, which also has no login service: the API is open).
 */
final class SampleSchemaValidationIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_it_samples_" + ProcessHandle.current().pid();
    private static EventsServer server;
    private static WebTestClient client;

    @BeforeAll
    static void start() {
        server = TestServers.startSampleSchema(DATABASE);
        client = TestServers.client(server);
        post("Owner", "{\"id\": \"owner-1\", \"name\": \"Ann\"}").expectStatus().isCreated();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** field | JSON value sent | status | stored JSON ({@code =} the value sent, {@code -} absent). */
    @ParameterizedTest(name = "{0} = {1} -> {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "text|\"ab\"|201|=",
        "text|\"a\"|422|",
        "text|\"abcde\"|201|=",
        "text|\"abcdef\"|422|",
        "text|\"\"|422|",
        "text|12|422|",
        "text|\"😀😀\"|201|=",
        "text|\"😀😀😀😀😀😀\"|422|",
        "code|\"ABC\"|201|=",
        "code|\"abc\"|422|",
        "code|\"XABCX\"|422|",
        "colour|\"red\"|201|=",
        "colour|\"Red\"|422|",
        "colour|\"blue\"|422|",
        "count|0|201|=",
        "count|10|201|=",
        "count|-1|422|",
        "count|11|422|",
        "count|5.0|201|5",
        "count|5.5|422|",
        "count|\"5\"|422|",
        "ratio|0|422|",
        "ratio|0.5|201|=",
        "ratio|1|422|",
        "ratio|\"0.5\"|422|",
        "weight|1.25|201|=",
        "weight|true|422|",
        "price|19.99|201|=",
        "price|\"19.99\"|422|",
        "flag|true|201|=",
        "flag|false|201|=",
        "flag|\"true\"|422|",
        "flag|1|422|",
        "day|\"2025-11-12\"|201|=",
        "day|\"2025-11-12T23:30:00-05:00\"|201|\"2025-11-12\"",
        "day|\"2025-02-30\"|422|",
        "day|20251112|422|",
        "moment|\"2025-11-12T18:30:05Z\"|201|\"2025-11-12T18:30:05.000Z\"",
        "moment|\"2025-11-12\"|201|\"2025-11-12T00:00:00.000Z\"",
        "moment|\"2025-11-12T20:30:05.123+02:00\"|201|\"2025-11-12T18:30:05.123Z\"",
        "moment|\"2025-11-12T18:30:05\"|201|\"2025-11-12T18:30:05.000Z\"",
        "moment|1731436205|422|",
        "moment|\"soon\"|422|",
        "ownerId|\"OWNER-1\"|201|\"owner-1\"",
        "ownerId|\"\"|201|-",
        "ownerId|123|422|",
        "tags|[\"a\", \"b\"]|201|=",
        "tags|[\"a\", 1]|422|",
        "tags|\"a\"|422|",
        "meta|{\"a\": 1}|201|=",
        "meta|[1]|422|",
        "meta|\"x\"|422|",
        "anything|5|201|=",
        "anything|\"x\"|201|=",
        "anything|[1, {\"a\": null}]|201|=",
        "anything|null|201|-",
        "secret|\"hunter2-hunter2\"|201|-",
        "hidden|\"not for you\"|201|-"})
    void checksAndNormalisesEachType(String field, String value, int status, String stored) {
        String body = "{\"" + field + "\": " + value + "}";
        JsonNode response = read(post("Sample", body).expectStatus().isEqualTo(status));
        if (status == 422) {
            JsonNode errors = response.path("notifications").path("new").path("errors");
            assertThat(errors.size()).isEqualTo(1);
            assertThat(errors.get(0).path("type").asString()).isEqualTo("validation_failed");
            assertThat(errors.get(0).path("field").asString()).isEqualTo(field);
            assertThat(errors.get(0).path("value")).isEqualTo(JSON.readTree(value));
            assertThat(response.path("data").isNull()).isTrue();
            return;
        }
        JsonNode data = response.path("data");
        if (stored.equals("-")) {
            assertThat(data.has(field)).as(data.toString()).isFalse();
        } else {
            assertThat(data.path(field)).isEqualTo(JSON.readTree(stored.equals("=") ? value : stored));
        }
        JsonNode fetched = read(client.get().uri("/api/Sample/{id}", data.path("id").asString()).exchange()
                .expectStatus().isOk());
        assertThat(fetched.path("data")).as("write response equals a later GET").isEqualTo(data);
    }

    @Test
    void patternFailureUsesThePatternMessageAndEnumListsTheValues() {
        JsonNode errors = read(post("Sample", "{\"code\": \"abc\", \"colour\": \"blue\"}").expectStatus().isEqualTo(422))
                .path("notifications").path("new").path("errors");
        assertThat(errors.findValuesAsString("message"))
                .containsExactlyInAnyOrder("code must be three capitals", "colour must be one of red, green");
    }

    @Test
    void defaultsAndAutomaticFieldsAreFilled() {
        JsonNode data = read(post("Sample", "{}").expectStatus().isCreated()).path("data");
        assertThat(data.path("status").asString()).isEqualTo("draft");
        assertThat(data.path("createdAt").asString()).matches("\\d{4}-\\d{2}-\\d{2}");
        assertThat(data.path("updatedAt").asString()).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
        JsonNode sent = read(post("Sample", "{\"status\": \"final\", \"updatedAt\": \"2020-01-01T00:00:00Z\"}")
                .expectStatus().isCreated()).path("data");
        assertThat(sent.path("status").asString()).isEqualTo("final");
        assertThat(sent.path("updatedAt").asString()).isEqualTo("2020-01-01T00:00:00.000Z");
    }

    @Test
    void putKeepsAutoGenerateAndOmittedSecretsAndRemovesOtherOmittedFields() {
        JsonNode created = read(post("Sample", "{\"text\": \"abc\", \"secret\": \"first-secret\", "
                + "\"createdAt\": \"2020-02-02\"}").expectStatus().isCreated()).path("data");
        String id = created.path("id").asString();
        String hashBefore = storedSecret(id);
        JsonNode replaced = read(client.put().uri("/api/Sample/{id}", id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"count\": 3, \"createdAt\": \"2024-04-04\"}").exchange().expectStatus().isOk())
                .path("data");
        assertThat(replaced.has("text")).isFalse();
        assertThat(replaced.path("count").asInt()).isEqualTo(3);
        assertThat(replaced.path("createdAt").asString()).isEqualTo("2020-02-02");
        assertThat(replaced.path("updatedAt").asString()).isNotEqualTo(created.path("updatedAt").asString());
        assertThat(storedSecret(id)).isEqualTo(hashBefore);
        client.put().uri("/api/Sample/{id}", id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"secret\": \"second-secret\"}").exchange().expectStatus().isOk();
        assertThat(storedSecret(id)).isNotEqualTo(hashBefore).startsWith("$2");
    }

    @Test
    void secretsAreStoredOnlyAsBcryptHashes() {
        String id = read(post("Sample", "{\"secret\": \"plain-secret-value\"}").expectStatus().isCreated())
                .path("data").path("id").asString();
        String stored = storedSecret(id);
        assertThat(stored).startsWith("$2").hasSize(60).doesNotContain("plain-secret-value");
    }

    @Test
    void secretValuesAreNeverEchoedInErrors() {
        String tooLong = "x".repeat(73);
        String response = new String(post("Sample", "{\"secret\": \"" + tooLong + "\"}").expectStatus().isEqualTo(422)
                .expectBody().returnResult().getResponseBody());
        assertThat(response).contains("\"field\":\"secret\"").doesNotContain(tooLong);
    }

    @Test
    void documentsLackingAKeyFieldDoNotCollide() {
        post("Sample", "{\"text\": \"same\"}").expectStatus().isCreated();
        post("Sample", "{\"text\": \"same\"}").expectStatus().isCreated();
        post("Sample", "{\"text\": \"twice\", \"count\": 1}").expectStatus().isCreated();
        JsonNode conflict = read(post("Sample", "{\"text\": \"TWICE\", \"count\": 1}").expectStatus().isEqualTo(409));
        assertThat(conflict.path("notifications").path("new").path("errors").get(0).path("field").asString())
                .isEqualTo("text");
        post("Sample", "{\"text\": \"twice\", \"count\": 2}").expectStatus().isCreated();
    }

    @Test
    void requiredForeignKeyMustNotBeEmptyButAnOptionalOneIsDropped() {
        JsonNode errors = read(post("Strict", "{\"label\": \"x\", \"ownerId\": \"\"}").expectStatus().isEqualTo(422))
                .path("notifications").path("new").path("errors");
        assertThat(errors.get(0).path("field").asString()).isEqualTo("ownerId");
        JsonNode data = read(post("Strict", "{\"label\": \"x\", \"ownerId\": \"owner-1\", \"sampleId\": \"\"}")
                .expectStatus().isCreated()).path("data");
        assertThat(data.has("sampleId")).isFalse();
    }

    @Test
    void everyMissingForeignKeyIsReportedAtOnce() {
        JsonNode response = read(post("Strict", "{\"label\": \"x\", \"ownerId\": \"nobody\", \"sampleId\": \"ghost\"}")
                .expectStatus().isEqualTo(422));
        JsonNode errors = response.path("notifications").path("new").path("errors");
        assertThat(errors.findValuesAsString("field")).containsExactlyInAnyOrder("ownerId", "sampleId");
        assertThat(errors.findValuesAsString("message"))
                .containsExactlyInAnyOrder("Owner nobody does not exist", "Sample ghost does not exist");
    }

    @Test
    void operationsTheSchemaLeavesOutAreMethodNotAllowed() {
        client.get().uri("/api/Archive").exchange().expectStatus().isOk();
        JsonNode refused = read(post("Archive", "{\"note\": \"x\"}").expectStatus().isEqualTo(405));
        assertThat(refused.path("notifications").path("general").path("errors").get(0).path("type").asString())
                .isEqualTo("method_not_allowed");
        client.put().uri("/api/Archive/a").contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange()
                .expectStatus().isEqualTo(405);
        client.delete().uri("/api/Archive/a").exchange().expectStatus().isEqualTo(405);
    }

    @Test
    void theApiIsOpenWithoutALoginService() {
        client.get().uri("/api/Owner").exchange().expectStatus().isOk();
        client.get().uri("/api/metadata").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.projectName").isEqualTo("Events");
    }

    private static String storedSecret(String id) {
        List<Map<String, Object>> rows = TestSql.query(DATABASE,
                "SELECT data->>'secret' AS secret FROM \"Sample\" WHERE id = $1", id);
        return (String) rows.get(0).get("secret");
    }

    private static WebTestClient.ResponseSpec post(String entity, String body) {
        return client.post().uri("/api/" + entity).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private static JsonNode read(WebTestClient.ResponseSpec response) {
        return JSON.readTree(response.expectBody().returnResult().getResponseBody());
    }

    static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
