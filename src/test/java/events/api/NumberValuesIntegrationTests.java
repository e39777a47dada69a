package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Integration tests of numbers in bodies (api.md 6 and 7): a number beyond a 64-bit double, anywhere in the
 * body, is a 422 on its field; bounds compare exact decimals; what is stored is exactly what was sent.
 */
final class NumberValuesIntegrationTests {

    /** Reads numbers exactly, so that a rounded answer shows. */
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(tools.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static EventsServer server;
    private static WebTestClient client;
    private static String accountId;
    private static String roleId;

    @BeforeAll
    static void startServer() {
        server = TestServers.shared();
        client = TestServers.client(server);
        accountId = post("Account", "{\"name\": \"Numbers Corp " + unique() + "\"}", 201).path("data").path("id").asString();
        roleId = post("Role", "{\"role\": \"numbers-" + unique() + "\", \"permissions\": {\"*\": \"r\"}}", 201)
                .path("data").path("id").asString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e400", "-1e400", "1e2147483647", "-1e2147483647", "1e2147483648", "1.7976931348623159e308",
        "-1e-400", "1e-2147483648", "1e-2147483647", "4.9e-324", "1e-310"})
    void aNumberBeyondADoubleIsA422OnItsFieldAndNothingIsStored(String number) {
        String name = "Beyond Corp " + unique();
        JsonNode response = post("Account", "{\"name\": \"" + name + "\", \"credit\": " + number + "}", 422);
        JsonNode error = onlyError(response, "new");
        assertThat(error.path("type").asString()).isEqualTo("validation_failed");
        assertThat(error.path("field").asString()).isEqualTo("credit");
        assertThat(error.path("message").asString()).startsWith("credit is ").contains("64-bit");
        assertThat(stored("Account", "name", name)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"a\": 1e400}",
        "{\"a\": {\"b\": [1, 2, -1e400]}}",
        "[1e2147483647]",
        "-1e-400",
        "{\"a\": [0.5, 1e-999]}",
    })
    void aNumberBeyondADoubleInsideAJsonFieldIsA422OnThatField(String permissions) {
        String role = "json-num-" + unique();
        JsonNode response = post("Role", "{\"role\": \"" + role + "\", \"permissions\": " + permissions + "}", 422);
        JsonNode error = onlyError(response, "new");
        assertThat(error.path("field").asString()).isEqualTo("permissions");
        assertThat(error.path("message").asString()).contains("64-bit").hasSizeLessThanOrEqualTo(100);
        assertThat(stored("Role", "role", role)).isEmpty();
    }

    @Test
    void aNumberBeyondADoubleInsideAJsonObjectFieldIsA422() {
        String url = "https://example.org/" + unique();
        JsonNode response = post("Url", "{\"url\": \"" + url + "\", \"params\": {\"q\": {\"n\": 1e400}}}", 422);
        assertThat(onlyError(response, "new").path("field").asString()).isEqualTo("params");
        assertThat(stored("Url", "url", url)).isEmpty();
    }

    @Test
    void boundsCompareTheExactDecimalNotItsNearestDouble() {
        String username = "bound" + unique();
        JsonNode response = post("User", user(username, "10000000.0000000001"), 422);
        JsonNode error = onlyError(response, "new");
        assertThat(error.path("field").asString()).isEqualTo("netWorth");
        assertThat(error.path("message").asString()).isEqualTo("netWorth must be <= 10000000");
        assertThat(stored("User", "username", username)).isEmpty();

        JsonNode below = post("User", user("under" + unique(), "-0.0000000000000000001"), 422);
        assertThat(onlyError(below, "new").path("message").asString()).isEqualTo("netWorth must be >= 0");

        post("User", user("atbound" + unique(), "10000000"), 201);
        post("User", user("atboundexp" + unique(), "1e7"), 201);
        post("User", user("atboundfrac" + unique(), "10000000.000"), 201);
    }

    @Test
    void aLongDecimalWithinBoundsIsStoredExactlyAsSent() {
        String name = "Exact Corp " + unique();
        JsonNode created = post("Account", "{\"name\": \"" + name + "\", \"credit\": 9999999.99999999999999}", 201);
        assertThat(stored("Account", "name", name)).containsExactly("9999999.99999999999999");
        // And it comes back exactly, not as the nearest double.
        assertThat(created.path("data").path("credit").decimalValue().toPlainString()).isEqualTo("9999999.99999999999999");

        String role = "exact-" + unique();
        post("Role", "{\"role\": \"" + role + "\", \"permissions\": {\"w\": 0.10000000000000000000001, \"x\": 1.50}}", 201);
        assertThat(TestSql.query(TestServers.database(server), "SELECT data->'permissions'->>'w' AS w, "
                + "data->'permissions'->>'x' AS x FROM \"Role\" WHERE data->>'role' = $1", role))
                .containsExactly(Map.of("w", "0.10000000000000000000001", "x", "1.50"));
    }

    @Test
    void ordinaryNumbersComeBackAsSent() {
        String name = "Plain Corp " + unique();
        JsonNode created = post("Account", "{\"name\": \"" + name + "\", \"credit\": 1234.56}", 201);
        assertThat(created.path("data").path("credit").decimalValue()).isEqualByComparingTo("1234.56");
        assertThat(stored("Account", "name", name)).containsExactly("1234.56");
        JsonNode zero = post("Account", "{\"name\": \"Zero Corp " + unique() + "\", \"credit\": -0.0e-99999}", 201);
        assertThat(zero.path("data").path("credit").decimalValue()).isEqualByComparingTo("0");
        JsonNode extremes = post("Account", "{\"name\": \"Edge Corp " + unique() + "\", \"credit\": 1.7976931348623157e308}", 201);
        assertThat(extremes.path("data").path("credit").decimalValue()).isEqualByComparingTo("1.7976931348623157e308");
    }

    @Test
    void anIntegerFieldRefusesAHugeExponentAtOnce() {
        String title = "Huge " + unique();
        JsonNode response = post("Event", "{\"url\": \"https://example.org/e\", \"title\": \"" + title
                + "\", \"dateTime\": \"2026-01-01\", \"numOfExpectedAttendees\": 1e2147483647, \"cost\": 1e2147483647}", 422);
        List<String> fields = response.path("notifications").path("new").path("errors").valueStream()
                .map(e -> e.path("field").asString()).toList();
        assertThat(fields).containsExactly("cost", "numOfExpectedAttendees");
        assertThat(stored("Event", "title", title)).isEmpty();
        post("Event", "{\"url\": \"https://example.org/e\", \"title\": \"" + title
                + "\", \"dateTime\": \"2026-01-01\", \"numOfExpectedAttendees\": 7.50e1}", 201);
        assertThat(TestSql.query(TestServers.database(server), "SELECT data->>'numOfExpectedAttendees' AS n FROM "
                + "\"Event\" WHERE data->>'title' = $1", title)).containsExactly(Map.of("n", "75"));
    }

    /** The stored text of {@code entity.field} for documents whose {@code key} field equals {@code value}. */
    private static List<Object> stored(String entity, String key, String value) {
        String field = switch (entity) {
            case "Account" -> "credit";
            case "User" -> "netWorth";
            case "Role" -> "permissions";
            case "Url" -> "params";
            default -> "title";
        };
        return TestSql.query(TestServers.database(server), "SELECT data->>'" + field + "' AS v FROM \"" + entity
                + "\" WHERE data->>'" + key + "' = $1", value).stream().map(row -> row.get("v")).toList();
    }

    private static String user(String username, String netWorth) {
        return "{\"username\": \"" + username + "\", \"email\": \"" + username + "@example.com\", \"password\": "
                + "\"s3cret-pass\", \"firstName\": \"Mary\", \"lastName\": \"Grant\", \"isAccountOwner\": true, "
                + "\"netWorth\": " + netWorth + ", \"accountId\": \"" + accountId + "\", \"roleId\": \"" + roleId + "\"}";
    }

    private static JsonNode onlyError(JsonNode response, String key) {
        assertThat(response.path("status").asString()).isEqualTo("error");
        assertThat(response.path("data").isNull()).isTrue();
        JsonNode errors = response.path("notifications").path(key).path("errors");
        assertThat(errors.size()).as(response.toString()).isEqualTo(1);
        return errors.get(0);
    }

    private static JsonNode post(String entity, String body, int status) {
        byte[] bytes = client.mutate().responseTimeout(Duration.ofSeconds(10)).build()
                .post().uri("/api/" + entity).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body.getBytes(StandardCharsets.UTF_8)).exchange()
                .expectStatus().isEqualTo(status)
                .expectBody().returnResult().getResponseBody();
        assertThat(bytes).isNotNull();
        return JSON.readTree(bytes);
    }

    private static String unique() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
