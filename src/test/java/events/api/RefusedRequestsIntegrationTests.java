package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import events.EventsServer;
import events.support.RawHttp;
import events.support.TestServers;
import tools.jackson.databind.JsonNode;

/**
 * Integration tests of requests refused before routing (api.md 3.4): request line too long (414), headers
 * too large (431), malformed requests (400) and request targets that are not URLs (400) get the error
 * envelope.
 */
final class RefusedRequestsIntegrationTests {

    private static EventsServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.shared();
    }

    @Test
    void aRequestLineTooLongIsA414WithTheEnvelope() throws IOException {
        RawHttp.Response response = RawHttp.exchange(server.port(),
                "GET /api/Account?filter=name:" + "a".repeat(5000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertRefused(response, 414, "Request line (method, path and query) is too long");
    }

    @Test
    void headersTooLargeAreA431WithTheEnvelope() throws IOException {
        RawHttp.Response response = RawHttp.exchange(server.port(),
                "GET /api/Account HTTP/1.1\r\nHost: localhost\r\nCookie: sessionId=" + "x".repeat(9000) + "\r\n\r\n");
        assertRefused(response, 431, "Request headers are too large");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET /api/Account HTTP/1.1\r\nHost: localhost\r\nNo colon here\r\n\r\n",
        "GET /api/Account HTTP/1.1\r\nHost: localhost\r\nBad Name: x\r\n\r\n",
        "GET /api/Account HTTP/1.1\r\nHost: localhost\r\nContent-Length: twelve\r\n\r\n",
        "GET /api/Account HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "GARBAGE\r\n\r\n",
    })
    void aMalformedRequestIsA400WithTheEnvelope(String request) throws IOException {
        assertRefused(RawHttp.exchange(server.port(), request), 400, "Malformed HTTP request");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/Account?%=1", "/api/Account/a%zz", "/api/Account?filter=name:\"x\"",
        "/api/Account|x", "/api/Account?view=%", "/api/%"})
    void aRequestTargetThatIsNotAUrlIsA400WithTheEnvelope(String target) throws IOException {
        RawHttp.Response response = RawHttp.exchange(server.port(), "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.headers().get("content-type")).isEqualTo("application/json");
        JsonNode error = response.json().path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("type").asString()).isEqualTo("bad_request");
        assertThat(error.path("message").asString())
                .isEqualTo("Malformed request URL: bad percent-encoding or a character not allowed in a URL");
    }

    @Test
    void aHeadRequestRefusedBelowTheRouterStillHasNoBody() throws IOException {
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofMillis(10_000))) {
            http.send("HEAD /api/Account?%=1 HTTP/1.1\r\nHost: localhost\r\n\r\nGET /api/metadata HTTP/1.1\r\n"
                    + "Host: localhost\r\n\r\n");
            assertThat(http.read(true).status()).isEqualTo(400);
            assertThat(http.read().status()).as("the next answer starts where the HEAD one ended").isEqualTo(200);
        }
    }

    private static void assertRefused(RawHttp.Response response, int status, String message) {
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.headers().get("content-type")).isEqualTo("application/json");
        assertThat(response.headers().get("connection")).isEqualTo("close");
        JsonNode envelope = response.json();
        assertThat(envelope.path("status").asString()).isEqualTo("error");
        assertThat(envelope.path("data").isNull()).isTrue();
        JsonNode error = envelope.path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("type").asString()).isEqualTo("bad_request");
        assertThat(error.path("message").asString()).isEqualTo(message);
        assertThat(envelope.path("notifications").path("general").path("warnings").isArray()).isTrue();
    }
}
