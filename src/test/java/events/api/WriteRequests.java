package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.support.TestServers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/** Requests and assertions shared by the tests of versions, PATCH, bulk create and batches (api.md 12-14). */
final class WriteRequests {

    static final JsonMapper JSON = JsonMapper.builder().build();

    /** The test schema of these tests: wide documents, foreign keys, unique keys, an entity without update. */
    static final String SCHEMA = java.nio.file.Path.of("src/test/resources/writes-schema.yaml").toAbsolutePath()
            .toString();
    static final String DATABASE = "events_it_writes_" + ProcessHandle.current().pid();
    private static events.EventsServer writes;

    private WriteRequests() {
    }

    /** One server on {@link #SCHEMA} shared by the write tests (an open API: the schema has no login). */
    static synchronized events.EventsServer writesServer() {
        if (writes == null) {
            writes = TestServers.start(Map.of("EVENTS_SCHEMA", SCHEMA, "EVENTS_DB_NAME", DATABASE));
            Runtime.getRuntime().addShutdownHook(new Thread(writes::close));
        }
        return writes;
    }

    /** A response: status, headers and the body as JSON ({@code MissingNode} when there is none). */
    record Response(int status, HttpHeaders headers, JsonNode body, byte[] raw) {

        String etag() {
            return headers.getETag();
        }

        JsonNode data() {
            return body.path("data");
        }

        /** The first error under {@code key}, checked to be of {@code type} with a short message. */
        JsonNode error(String key, String type) {
            assertThat(body.path("status").asString()).as("status of " + body).isEqualTo("error");
            assertThat(body.path("data").isNull()).as("data of " + body).isTrue();
            JsonNode error = body.path("notifications").path(key).path("errors").path(0);
            assertThat(error.isMissingNode()).as("an error under " + key + " in " + body).isFalse();
            assertThat(error.path("type").asString()).as("type in " + body).isEqualTo(type);
            assertThat(error.path("message").asString()).isNotBlank().hasSizeLessThanOrEqualTo(100);
            return error;
        }
    }

    static Response send(WebTestClient client, HttpMethod method, String uri, Object body, String... headers) {
        return sendTyped(client, method, uri, body, "application/json", headers);
    }

    /** {@code headers}: name, value, name, value... */
    static Response sendTyped(WebTestClient client, HttpMethod method, String uri, Object body, String contentType,
                         String... headers) {
        WebTestClient.RequestBodySpec spec = client.method(method).uri(uri);
        for (int i = 0; i < headers.length; i += 2) {
            spec.header(headers[i], headers[i + 1]);
        }
        WebTestClient.RequestHeadersSpec<?> request = body == null ? spec
                : spec.header(HttpHeaders.CONTENT_TYPE, contentType)
                        .bodyValue(body instanceof String text ? text : JSON.writeValueAsString(body));
        EntityExchangeResult<byte[]> result = request.exchange().expectBody().returnResult();
        byte[] raw = result.getResponseBody();
        JsonNode json = raw == null || raw.length == 0 ? JsonNodeFactory.instance.missingNode() : JSON.readTree(raw);
        return new Response(result.getStatus().value(), result.getResponseHeaders(), json, raw == null ? new byte[0] : raw);
    }

    static Response get(WebTestClient client, String uri, String... headers) {
        return send(client, HttpMethod.GET, uri, null, headers);
    }

    static Response post(WebTestClient client, String uri, Object body, String... headers) {
        return send(client, HttpMethod.POST, uri, body, headers);
    }

    static Response put(WebTestClient client, String uri, Object body, String... headers) {
        return send(client, HttpMethod.PUT, uri, body, headers);
    }

    static Response patch(WebTestClient client, String uri, Object body, String... headers) {
        return sendTyped(client, HttpMethod.PATCH, uri, body, "application/merge-patch+json", headers);
    }

    static Response delete(WebTestClient client, String uri, String... headers) {
        return send(client, HttpMethod.DELETE, uri, null, headers);
    }

    /** A new Account (the shared server's schema), its stored answer. */
    static Response account(WebTestClient client, String name) {
        Response created = post(client, "/api/Account", Map.of("name", name));
        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
        return created;
    }

    static String unique() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
