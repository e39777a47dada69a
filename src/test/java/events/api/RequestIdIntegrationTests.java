package events.api;

import static events.api.EntityRoutesIntegrationTests.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import events.EventsServer;
import events.support.RawHttp;
import events.support.TestServers;

/**
 * {@code X-Request-Id} (api.md 15) on the real server: on every response (success, errors, Actuator, the
 * docs), the client's when sane, a new one otherwise, and in the MDC of the request's log lines, those
 * written on the database driver's threads included.
 */
final class RequestIdIntegrationTests {

    private static final String ULID = "[0-9A-HJKMNP-TV-Z]{26}";

    private final EventsServer server = TestServers.shared();
    private final WebTestClient anonymous = TestServers.anonymous(server);
    private final WebTestClient client = TestServers.client(server);

    @Test
    void everyResponseCarriesANewIdWhenTheClientSentNone() {
        for (String path : List.of("/api/metadata", "/api/Account", "/api/nosuch", "/nosuch", "/actuator/health",
                "/docs", "/api/openapi.json")) {
            String id = anonymous.get().uri(path).exchange().returnResult(String.class).getResponseHeaders()
                    .getFirst(RequestIds.HEADER);
            assertThat(id).as(path).matches(ULID);
        }
        String first = anonymous.get().uri("/api/metadata").exchange().returnResult(String.class).getResponseHeaders()
                .getFirst(RequestIds.HEADER);
        String second = anonymous.get().uri("/api/metadata").exchange().returnResult(String.class).getResponseHeaders()
                .getFirst(RequestIds.HEADER);
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void aSaneClientIdIsEchoedOnSuccessAndOnErrors() {
        String id = "client-" + unique();
        anonymous.get().uri("/api/metadata").header(RequestIds.HEADER, id).exchange()
                .expectStatus().isOk().expectHeader().valueEquals(RequestIds.HEADER, id);
        anonymous.get().uri("/api/Account").header(RequestIds.HEADER, id).exchange()
                .expectStatus().isUnauthorized().expectHeader().valueEquals(RequestIds.HEADER, id);
        client.post().uri("/api/Account").header(RequestIds.HEADER, id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{").exchange()
                .expectStatus().isBadRequest().expectHeader().valueEquals(RequestIds.HEADER, id);
        String longest = "x".repeat(RequestIds.MAX_LENGTH);
        anonymous.get().uri("/api/metadata").header(RequestIds.HEADER, longest).exchange()
                .expectHeader().valueEquals(RequestIds.HEADER, longest);
    }

    @Test
    void anIdTooLongOrNotPrintableIsReplacedNotEchoed() throws Exception {
        for (String bad : List.of("x".repeat(RequestIds.MAX_LENGTH + 1), "two words", "tab\tinside")) {
            String answered = anonymous.get().uri("/api/metadata").header(RequestIds.HEADER, bad).exchange()
                    .expectStatus().isOk().returnResult(String.class).getResponseHeaders().getFirst(RequestIds.HEADER);
            assertThat(answered).as(bad).matches(ULID);
        }
        // Bytes no client library would send: a Latin-1 letter is still a valid header value, but not an id.
        byte[] request = ("GET /api/metadata HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: caf\u00e9\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        RawHttp.Response response = RawHttp.exchange(server.port(), request);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("x-request-id")).matches(ULID);
        // A control character makes the request malformed: refused before routing, still with a new id.
        byte[] malformed = ("GET /api/metadata HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: a\u0001b\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        RawHttp.Response refused = RawHttp.exchange(server.port(), malformed);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("status").asString()).isEqualTo("error");
        assertThat(refused.headers().get("x-request-id")).matches(ULID);
    }

    @Test
    void theRequestsLogLinesCarryItsId() {
        Logger events = (Logger) LoggerFactory.getLogger("events");
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level level = events.getLevel();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        events.setLevel(Level.DEBUG);
        String id = "logged-" + unique();
        try {
            client.get().uri("/api/Account?pageSize=2&sort=name").header(RequestIds.HEADER, id).exchange()
                    .expectStatus().isOk().expectBody().returnResult();
            client.get().uri("/api/Account/no-such-" + id).header(RequestIds.HEADER, id).exchange()
                    .expectStatus().isNotFound().expectBody().returnResult();
            // The access line is written when the exchange completes, which may be just after the client has
            // the answer.
            awaitLines(captured, id, 2);
        } finally {
            events.setLevel(level);
            root.detachAppender(captured);
        }
        List<ILoggingEvent> lines = snapshot(captured);
        // The SQL of those requests (logged at debug on the driver's threads) names the Account table.
        List<ILoggingEvent> sql = lines.stream()
                .filter(e -> e.getLoggerName().endsWith("Statements") && e.getFormattedMessage().contains("FROM \"Account\""))
                .toList();
        assertThat(sql).isNotEmpty();
        assertThat(sql).allSatisfy(e -> assertThat(e.getMDCPropertyMap()).containsEntry(RequestIds.MDC_KEY, id));
        List<ILoggingEvent> ours = accessLines(lines, id);
        assertThat(ours).hasSize(2);
        assertThat(ours.get(0).getLevel()).as("access_log off: debug").isEqualTo(Level.DEBUG);
        assertThat(ours.get(0).getFormattedMessage()).startsWith("GET /api/Account 200").endsWith("(/api/{entity})");
        assertThat(ours.get(1).getFormattedMessage()).startsWith("GET /api/Account/no-such-").contains(" 404 ")
                .endsWith("(/api/{entity}/{id})");
        assertThat(ours.get(1).getKeyValuePairs()).extracting(pair -> pair.key + "=" + pair.value)
                .contains("method=GET", "route=/api/{entity}/{id}", "status=404");
    }

    @Test
    void accessLogOnWritesAnInfoLinePerRequest() {
        String id = "access-" + unique();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        try (EventsServer logged = TestServers.start(Map.of("EVENTS_ACCESS_LOG", "true"))) {
            // Attached once the server runs: a Spring Boot start may reset Logback, and with it our appender.
            Logger access = (Logger) LoggerFactory.getLogger("events.access");
            captured.start();
            access.addAppender(captured);
            try {
                TestServers.anonymous(logged).get().uri("/api/metadata").header(RequestIds.HEADER, id).exchange()
                        .expectStatus().isOk().expectBody().returnResult();
                awaitLines(captured, id, 1);
            } finally {
                access.detachAppender(captured);
            }
        }
        assertThat(snapshot(captured)).filteredOn(e -> id.equals(e.getMDCPropertyMap().get(RequestIds.MDC_KEY)))
                .singleElement().satisfies(e -> {
                    assertThat(e.getLevel()).isEqualTo(Level.INFO);
                    assertThat(e.getFormattedMessage()).startsWith("GET /api/metadata 200 ");
                });
    }

    private static List<ILoggingEvent> accessLines(List<ILoggingEvent> lines, String id) {
        return lines.stream().filter(e -> e.getLoggerName().equals("events.access"))
                .filter(e -> id.equals(e.getMDCPropertyMap().get(RequestIds.MDC_KEY))).toList();
    }

    /** Logback appends under the appender's lock; copy under it too. */
    private static List<ILoggingEvent> snapshot(ListAppender<ILoggingEvent> captured) {
        synchronized (captured) {
            return List.copyOf(captured.list);
        }
    }

    private static void awaitLines(ListAppender<ILoggingEvent> captured, String id, int count) {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (accessLines(snapshot(captured), id).size() < count && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
