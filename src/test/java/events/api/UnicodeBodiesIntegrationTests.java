package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.UUID;

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
 * Integration tests of Unicode in request bodies (api.md 6): invalid UTF-8 and lone surrogates are a 400
 * naming the field, in ids as in other fields and inside JSON fields, and nothing is stored; valid text,
 * supplementary characters included, is stored as sent.
 */
final class UnicodeBodiesIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static EventsServer server;
    private static WebTestClient client;

    @BeforeAll
    static void startServer() {
        server = TestServers.shared();
        client = TestServers.client(server);
    }

    /**
     * Each body is a Role whose {@code role} is unique (the {@code @} is replaced); {@code <XX>} is a raw
     * byte. Overlong {@code C0 AF} once decoded to '/', and surrogates were stored as '?'.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "lone high surrogate in the id     | {\"id\": \"ab\\ud800\", \"role\": \"@\", \"permissions\": {}}                    | id",
        "lone low surrogate in a string    | {\"role\": \"@\\udc00\", \"permissions\": {}}                                    | role",
        "reversed pair in a string         | {\"role\": \"@\\udc00\\ud800\", \"permissions\": {}}                             | role",
        "lone surrogate in a JSON value    | {\"role\": \"@\", \"permissions\": {\"a\": [\"x\\ud83d\"]}}                      | permissions",
        "lone surrogate in a JSON key      | {\"role\": \"@\", \"permissions\": {\"\\udfff\": \"r\"}}                          | permissions",
        "overlong slash C0 AF in the id    | {\"id\": \"a<C0><AF>b\", \"role\": \"@\", \"permissions\": {}}                    | id",
        "encoded surrogate ED A0 80        | {\"role\": \"@<ED><A0><80>\", \"permissions\": {}}                                | role",
        "stray byte FF in a JSON value     | {\"role\": \"@\", \"permissions\": {\"k\": \"<FF>\"}}                              | permissions",
        "truncated sequence E2 82          | {\"role\": \"@<E2><82>\", \"permissions\": {}}                                    | role",
        "code point above U+10FFFF         | {\"role\": \"@<F4><90><80><80>\", \"permissions\": {}}                            | role",
    })
    void badUnicodeIsA400NamingTheFieldAndNothingIsStored(String description, String template, String field) {
        String role = "uni-" + unique();
        JsonNode response = post(bytes(template.replace("@", role)), 400);
        JsonNode error = response.path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("type").asString()).isEqualTo("bad_request");
        assertThat(error.path("field").asString()).as(response.toString()).isEqualTo(field);
        assertThat(error.path("message").asString()).hasSizeLessThanOrEqualTo(100)
                .containsAnyOf("UTF-8", "surrogate");
        assertThat(response.path("data").isNull()).isTrue();
        assertThat(TestSql.query(TestServers.database(server),
                "SELECT id FROM \"Role\" WHERE data->>'role' LIKE $1", role + "%")).isEmpty();
    }

    @Test
    void invalidBytesOutsideAStringAreA400ForTheBody() {
        JsonNode response = post(bytes("{\"role\": \"x\",<C0> \"permissions\": {}}"), 400);
        JsonNode error = response.path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("message").asString()).isEqualTo("Request body is not valid UTF-8");
    }

    @Test
    void invalidUtf8OnUpdateLeavesTheDocumentAsItWas() {
        String role = "keep-" + unique();
        String id = post(bytes("{\"role\": \"" + role + "\", \"permissions\": {\"*\": \"r\"}}"), 201)
                .path("data").path("id").asString();
        JsonNode response = body(client.put().uri("/api/Role/{id}", id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(bytes("{\"role\": \"" + role + "<C0><AF>\", \"permissions\": {}}")).exchange()
                .expectStatus().isEqualTo(400));
        assertThat(response.path("notifications").path("general").path("errors").get(0).path("field").asString())
                .isEqualTo("role");
        assertThat(TestSql.query(TestServers.database(server), "SELECT data->>'role' AS role FROM \"Role\" WHERE id = $1",
                id).get(0).get("role")).isEqualTo(role);
    }

    @Test
    void supplementaryCharactersAreStoredAsSentWhetherEscapedOrRaw() {
        String role = "emoji-" + unique();
        String id = post(bytes("{\"role\": \"" + role + " \\ud83d\\ude00 <F0><9F><98><80> \\u00e9\", "
                + "\"permissions\": {\"\\ud83c\\udf89\": \"r\"}}"), 201).path("data").path("id").asString();
        String expected = role + " \uD83D\uDE00 \uD83D\uDE00 \u00e9";
        var stored = TestSql.query(TestServers.database(server),
                "SELECT data->>'role' AS role, data->'permissions'->>'\uD83C\uDF89' AS grant FROM \"Role\" WHERE id = $1", id);
        assertThat(stored.get(0).get("role")).isEqualTo(expected);
        assertThat(stored.get(0).get("grant")).isEqualTo("r");
        JsonNode fetched = body(client.get().uri("/api/Role/{id}", id).exchange().expectStatus().isOk());
        assertThat(fetched.path("data").path("role").asString()).isEqualTo(expected);
    }

    @Test
    void aByteOrderMarkBeforeTheBodyIsAllowed() {
        String role = "bom-" + unique();
        post(bytes("<EF><BB><BF>{\"role\": \"" + role + "\", \"permissions\": {}}"), 201);
    }

    @Test
    void aDuplicatePropertyIsA400NamingIt() {
        JsonNode response = post(bytes("{\"role\": \"a\", \"permissions\": {}, \"role\": \"b\"}"), 400);
        JsonNode error = response.path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("field").asString()).isEqualTo("role");
        assertThat(error.path("message").asString()).contains("'role' twice");
    }

    private static JsonNode post(byte[] body, int status) {
        return body(client.post().uri("/api/Role").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isEqualTo(status));
    }

    private static JsonNode body(WebTestClient.ResponseSpec response) {
        byte[] bytes = response.expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody().returnResult().getResponseBody();
        assertThat(bytes).as("response body").isNotNull();
        return JSON.readTree(bytes);
    }

    /** UTF-8 of {@code template}, with each {@code <XX>} replaced by the raw byte 0xXX. */
    static byte[] bytes(String template) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < template.length()) {
            if (template.charAt(i) == '<' && i + 3 < template.length() && template.charAt(i + 3) == '>') {
                out.write(HexFormat.fromHexDigits(template, i + 1, i + 3));
                i += 4;
            } else {
                int end = template.indexOf('<', i + 1);
                end = end < 0 ? template.length() : end;
                out.writeBytes(template.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end;
            }
        }
        return out.toByteArray();
    }

    private static String unique() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
