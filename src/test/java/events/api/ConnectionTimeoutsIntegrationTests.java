package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import events.EventsServer;
import events.support.RawHttp;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;

/**
 * Integration tests of the connection limits (config {@code http}), on a server with a 1 s header timeout
 * and a 2 s idle timeout: slow or stalled headers are cut with a 408, idle kept-alive connections are
 * closed, and neither touches a request whose headers are in (a slow body, a long stream).
 */
final class ConnectionTimeoutsIntegrationTests {

    private static final int STREAMED = 20_000;
    private static EventsServer server;
    private static String cookie;

    @BeforeAll
    static void startServer() {
        server = TestServers.start(Map.of("EVENTS_HTTP_HEADER_TIMEOUT_SECONDS", "1",
                "EVENTS_HTTP_IDLE_TIMEOUT_SECONDS", "2"));
        cookie = TestServers.sessionCookie(server);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void partialHeadersThenSilenceGetA408AndTheConnectionCloses() throws IOException {
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofMillis(6000))) {
            long start = System.nanoTime();
            http.send("GET /api/metadata HTTP/1.1\r\nHost: localhost\r\nX-Half: ");
            RawHttp.Response response = http.read();
            assertThat(elapsed(start)).isBetween(Duration.ofMillis(800), Duration.ofSeconds(4));
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.headers().get("connection")).isEqualTo("close");
            JsonNode error = response.json().path("notifications").path("general").path("errors").get(0);
            assertThat(error.path("type").asString()).isEqualTo("bad_request");
            assertThat(error.path("message").asString()).startsWith("Request headers not received within 1 s");
            assertThat(http.closedByServer()).isTrue();
        }
    }

    @Test
    void headersSentOneByteAtATimeAreCutAtTheHeaderTimeout() throws Exception {
        byte[] head = "GET /api/metadata HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofMillis(6000))) {
            // A kept-alive connection: the timer starts at the next head's first byte, not at connect.
            http.send("GET /api/metadata HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(http.read().status()).isEqualTo(200);
            Thread.sleep(500);
            long start = System.nanoTime();
            for (int i = 0; i < 40 && !http.hasData(); i++) {
                http.send(new byte[] {i < head.length ? head[i] : (byte) 'a'});
                Thread.sleep(100);
            }
            RawHttp.Response response = http.read();
            assertThat(response.status()).isEqualTo(408);
            assertThat(elapsed(start)).as("cut by the header timeout (1 s), not the idle one (2 s)")
                    .isBetween(Duration.ofMillis(800), Duration.ofMillis(1800));
            assertThat(http.closedByServer()).isTrue();
        }
    }

    @Test
    void aNewConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws IOException {
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofMillis(6000))) {
            long start = System.nanoTime();
            assertThat(http.closedByServer()).isTrue();
            assertThat(elapsed(start)).isBetween(Duration.ofMillis(800), Duration.ofSeconds(4));
        }
    }

    @Test
    void anIdleKeptAliveConnectionIsClosedAfterTheIdleTimeoutNotTheHeaderTimeout() throws IOException {
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofMillis(8000))) {
            http.send("GET /api/metadata HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(http.read().status()).isEqualTo(200);
            long start = System.nanoTime();
            assertThat(http.closedByServer()).isTrue();
            assertThat(elapsed(start)).isBetween(Duration.ofMillis(1700), Duration.ofSeconds(6));
        }
    }

    @Test
    void keptAliveRequestsStillWork() throws Exception {
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofMillis(5000))) {
            for (int i = 0; i < 3; i++) {
                http.send("GET /api/metadata HTTP/1.1\r\nHost: localhost\r\n\r\n");
                assertThat(http.read().status()).isEqualTo(200);
                Thread.sleep(1200); // longer than the header timeout, shorter than the idle one
            }
            http.send("GET /api/session HTTP/1.1\r\nHost: localhost\r\nCookie: sessionId=" + cookie + "\r\n\r\n");
            assertThat(http.read().status()).isEqualTo(200);
        }
    }

    @Test
    void aSlowBodyIsNotCutByTheHeaderTimeout() throws Exception {
        String name = "Slow Body Corp " + System.nanoTime();
        byte[] body = ("{\"name\": \"" + name + "\"}").getBytes(StandardCharsets.UTF_8);
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofMillis(10_000))) {
            http.send("POST /api/Account HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Cookie: sessionId=" + cookie + "\r\nContent-Length: " + body.length + "\r\n\r\n");
            for (int i = 0; i < body.length; i += 8) {
                http.send(java.util.Arrays.copyOfRange(body, i, Math.min(body.length, i + 8)));
                Thread.sleep(600); // the body takes several header timeouts and more than the idle one
            }
            RawHttp.Response response = http.read();
            assertThat(response.status()).isEqualTo(201);
            assertThat(response.json().path("data").path("name").asString()).isEqualTo(name);
        }
    }

    @Test
    void aLongStreamIsNotCutWhileTheClientPauses() throws Exception {
        String database = TestServers.database(server);
        TestSql.query(database, "INSERT INTO \"Url\" (id, data) SELECT 'slow-' || lpad(i::text, 6, '0'), "
                + "jsonb_build_object('url', 'https://example.org/' || md5(i::text) || md5(i::text || 'x'), "
                + "'createdAt', '2026-01-01', 'updatedAt', '2026-01-01T00:00:00.000Z') "
                + "FROM generate_series(1, " + STREAMED + ") AS i");
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofMillis(15_000), 4096)) {
            http.send("GET /api/Url?filter=id:gte:slow-&sort=id HTTP/1.1\r\nHost: localhost\r\n"
                    + "Accept: application/x-ndjson\r\nCookie: sessionId=" + cookie + "\r\n\r\n");
            String status = http.readLine();
            assertThat(status).startsWith("HTTP/1.1 200");
            while (!http.readLine().isEmpty()) {
                // response headers
            }
            Thread.sleep(3500); // longer than both timeouts, with the server blocked on a full socket
            int lines = 0;
            String line;
            while ((line = http.readLine()) != null && !line.equals("0")) {
                if (line.startsWith("{")) {
                    lines++;
                }
            }
            assertThat(lines).isEqualTo(STREAMED);
        }
    }

    private static Duration elapsed(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
