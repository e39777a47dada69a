package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import events.EventsServer;
import events.support.RawHttp;
import events.support.TestServers;
import tools.jackson.databind.JsonNode;

/**
 * Integration tests of request headers (api.md 3.4): a {@code Content-Type} that does not parse is a 415
 * with the envelope, an {@code Accept} that does not parse means {@code *}{@code /*}, on every route, and a
 * refused cross-origin request gets the envelope too. Sent over raw sockets, since client libraries refuse
 * or repair such headers.
 */
final class HeaderParsingIntegrationTests {

    private static EventsServer server;
    private static String cookie;

    @BeforeAll
    static void startServer() {
        server = TestServers.shared();
        cookie = TestServers.sessionCookie(server);
    }

    @ParameterizedTest
    @ValueSource(strings = {";;;", "json", "application/json; charset=\"", "application/json, text/plain", "/",
        "application/", "application/json; charset=latin1", "application/json;=", "text/plain"})
    void anUnparseableOrNonJsonContentTypeIsA415WithTheEnvelope(String contentType) throws IOException {
        for (String head : new String[] {"POST /api/Account HTTP/1.1", "PUT /api/Account/someone HTTP/1.1"}) {
            RawHttp.Response response = send(head + "\r\nContent-Type: " + contentType + "\r\nCookie: sessionId=" + cookie,
                    "{\"name\": \"Media Type Corp\"}");
            assertThat(response.status()).as(head).isEqualTo(415);
            JsonNode error = generalError(response);
            assertThat(error.path("type").asString()).isEqualTo("unsupported_media_type");
            assertThat(error.path("message").asString()).startsWith("Body must be UTF-8 application/json")
                    .hasSizeLessThanOrEqualTo(100);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {";;;", "json", "application/json; charset=\"", "application/json, text/plain"})
    void anUnparseableContentTypeNeverBreaksLoginOrAdminRoutes(String contentType) throws IOException {
        RawHttp.Response login = send("POST /api/login HTTP/1.1\r\nContent-Type: " + contentType,
                "{\"login\": \"" + TestServers.ADMIN + "\", \"password\": \"" + TestServers.ADMIN_PASSWORD + "\"}");
        assertThat(login.status()).as("login refuses what it cannot read, like any failure").isEqualTo(401);
        assertThat(generalError(login).path("type").asString()).isEqualTo("unauthorized");

        RawHttp.Response init = send("POST /api/db/init HTTP/1.1\r\nContent-Type: " + contentType, "{}");
        assertThat(init.status()).isEqualTo(400);
        assertThat(init.json().path("status").asString()).isEqualTo("error");

        RawHttp.Response list = send("GET /api/Account?pageSize=1 HTTP/1.1\r\nContent-Type: " + contentType
                + "\r\nCookie: sessionId=" + cookie, "");
        assertThat(list.status()).as("a GET has no body to refuse").isEqualTo(200);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET /api/Account?pageSize=1 HTTP/1.1        | 200",
        "GET /api/Account/no-such-account HTTP/1.1   | 404",
        "GET /api/NoSuchEntity HTTP/1.1              | 404",
        "GET /api/metadata HTTP/1.1                  | 200",
        "GET /api/db/report HTTP/1.1                 | 200",
        "GET /api/session HTTP/1.1                   | 200",
        "POST /api/logout HTTP/1.1                   | 401",
        "PATCH /api/Account HTTP/1.1                 | 405",
        "GET /no/such/route HTTP/1.1                 | 404",
        "GET /actuator/health HTTP/1.1               | 200",
    })
    void anUnparseableAcceptMeansAnything(String head, int status) throws IOException {
        for (String accept : new String[] {"*/*;q=garbage", "application/x-ndjson;q=x", ";;", "garbage", "text/html;q=\"",
            ",,,", "application/json,,*/*"}) {
            String session = head.contains("logout") ? "" : "\r\nCookie: sessionId=" + cookie;
            RawHttp.Response response = send(head + "\r\nAccept: " + accept + session, "");
            assertThat(response.status()).as(head + " with Accept: " + accept).isEqualTo(status);
            assertThat(response.headers().get("content-type")).startsWith("application/");
            if (head.contains("/api/") && status >= 400) {
                assertThat(response.json().path("status").asString()).isEqualTo("error");
                assertThat(response.json().path("data").isNull()).isTrue();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/x-ndjson;q=0", "application/*", "*/*"})
    void onlyAnExplicitAcceptableNdjsonStreams(String accept) throws IOException {
        RawHttp.Response response = send("GET /api/Account?pageSize=1 HTTP/1.1\r\nAccept: " + accept
                + "\r\nCookie: sessionId=" + cookie, "");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("content-type")).startsWith("application/json");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "OPTIONS /api/login HTTP/1.1~Access-Control-Request-Method: POST | http://evil.example",
        "GET /api/metadata HTTP/1.1                                    | http://evil.example",
        "GET /api/metadata HTTP/1.1                                    | null",
    })
    void aRefusedCrossOriginRequestGetsA403Envelope(String head, String origin) throws IOException {
        RawHttp.Response response = send(head.replace("~", "\r\n") + "\r\nOrigin: " + origin, "");
        assertThat(response.status()).isEqualTo(403);
        JsonNode error = generalError(response);
        assertThat(error.path("type").asString()).isEqualTo("forbidden");
        assertThat(error.path("message").asString()).isEqualTo("Origin " + origin + " may not call this API (CORS)");
    }

    @Test
    void anAllowedCrossOriginRequestIsServed() throws IOException {
        RawHttp.Response preflight = send("OPTIONS /api/login HTTP/1.1\r\nAccess-Control-Request-Method: POST\r\n"
                + "Origin: http://localhost:4200", "");
        assertThat(preflight.status()).isEqualTo(200);
        assertThat(preflight.headers().get("access-control-allow-origin")).isEqualTo("http://localhost:4200");
        RawHttp.Response metadata = send("GET /api/metadata HTTP/1.1\r\nOrigin: http://localhost:4200", "");
        assertThat(metadata.status()).isEqualTo(200);
        assertThat(metadata.headers().get("access-control-allow-credentials")).isEqualTo("true");
    }

    private static RawHttp.Response send(String head, String body) throws IOException {
        return RawHttp.exchange(server.port(), RawHttp.request(head, body.getBytes(StandardCharsets.UTF_8)));
    }

    private static JsonNode generalError(RawHttp.Response response) {
        assertThat(response.headers().get("content-type")).startsWith("application/json");
        JsonNode envelope = response.json();
        assertThat(envelope.path("status").asString()).isEqualTo("error");
        assertThat(envelope.path("data").isNull()).isTrue();
        return envelope.path("notifications").path("general").path("errors").get(0);
    }
}
