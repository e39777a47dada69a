package events.api;

import static events.api.EntityRoutesIntegrationTests.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * {@code /actuator/prometheus} (api.md 15) on the real server: open without a session, HTTP requests by
 * route template (never the raw path), method and status with latency buckets, statements by kind,
 * connection acquires, the pool's gauges, sessions, import progress and the JVM; {@code management.port}
 * moves it.
 */
final class MetricsIntegrationTests {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final EventsServer server = TestServers.shared();
    private final WebTestClient anonymous = TestServers.anonymous(server);
    private final WebTestClient client = TestServers.client(server);

    @Test
    void aRequestMovesTheCountersOfItsRouteTemplateMethodAndStatus() {
        String missing = "no-such-" + unique();
        String before = scrape(anonymous);
        client.get().uri("/api/Account/" + missing).exchange().expectStatus().isNotFound();
        client.get().uri("/api/Account/" + missing).exchange().expectStatus().isNotFound();
        String after = scrape(anonymous);

        Map<String, String> notFound = Map.of("method", "GET", "uri", "/api/{entity}/{id}", "status", "404");
        assertThat(value(after, "http_server_requests_seconds_count", notFound)
                - value(before, "http_server_requests_seconds_count", notFound)).isEqualTo(2);
        // Latency histogram of that series: a bucket per bound, +Inf holding every request.
        assertThat(value(after, "http_server_requests_seconds_bucket", with(notFound, "le", "0.25"))).isPositive();
        assertThat(value(after, "http_server_requests_seconds_bucket", with(notFound, "le", "+Inf")))
                .isEqualTo(value(after, "http_server_requests_seconds_count", notFound));
        assertThat(after).as("bounded cardinality: no raw path in a label").doesNotContain(missing);

        Map<String, String> selects = Map.of("kind", "select", "outcome", "success");
        assertThat(value(after, "events_db_statements_seconds_count", selects)
                - value(before, "events_db_statements_seconds_count", selects)).isGreaterThanOrEqualTo(2);
        Map<String, String> acquired = Map.of("outcome", "success");
        assertThat(value(after, "events_db_pool_acquire_seconds_count", acquired)
                - value(before, "events_db_pool_acquire_seconds_count", acquired)).isGreaterThanOrEqualTo(2);
    }

    @Test
    void writesAndStreamsAreCountedByKind() {
        String before = scrape(anonymous);
        client.post().uri("/api/Url").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("url", "https://example.org/metrics/" + unique())).exchange()
                .expectStatus().isCreated();
        client.get().uri("/api/Url?pageSize=2").accept(MediaType.APPLICATION_NDJSON).exchange().expectStatus().isOk()
                .expectBody().returnResult();
        String after = scrape(anonymous);
        for (String kind : new String[] {"insert", "stream"}) {
            Map<String, String> labels = Map.of("kind", kind, "outcome", "success");
            assertThat(value(after, "events_db_statements_seconds_count", labels)
                    - value(before, "events_db_statements_seconds_count", labels)).as(kind).isGreaterThanOrEqualTo(1);
        }
        Map<String, String> created = Map.of("method", "POST", "uri", "/api/{entity}", "status", "201");
        assertThat(value(after, "http_server_requests_seconds_count", created)
                - value(before, "http_server_requests_seconds_count", created)).isEqualTo(1);
    }

    @Test
    void importsMoveTheLineCountersOfTheirEntity() {
        Map<String, String> url = Map.of("entity", "Url");
        String before = scrape(anonymous);
        String tag = unique();
        // Skip: three stored, one failed.
        assertThat(importing("/api/Url/_import", urlLine(tag, 1) + urlLine(tag, 2) + urlLine(tag, 3)
                + "{\"url\": \"not a url " + tag + "\"}\n")).isEqualTo("{\"received\":4,\"created\":3,\"failed\":1}");
        // Atomic with a bad line: one failed, the two good ones rolled back.
        assertThat(importing("/api/Url/_import?mode=atomic", urlLine(tag, 4) + "{oops}\n" + urlLine(tag, 5)))
                .isEqualTo("{\"received\":3,\"created\":0,\"failed\":1}");
        // Atomic, all good: stored when it commits.
        assertThat(importing("/api/Url/_import?mode=atomic", urlLine(tag, 6) + urlLine(tag, 7)))
                .isEqualTo("{\"received\":2,\"created\":2,\"failed\":0}");
        String after = scrape(anonymous);

        assertThat(delta(before, after, "events_import_lines_received_total", url)).isEqualTo(9);
        assertThat(delta(before, after, "events_import_lines_total", with(url, "outcome", "stored"))).isEqualTo(5);
        assertThat(delta(before, after, "events_import_lines_total", with(url, "outcome", "failed"))).isEqualTo(2);
        assertThat(delta(before, after, "events_import_lines_total", with(url, "outcome", "rolled_back"))).isEqualTo(2);
        assertThat(value(after, "events_imports_active", url)).isZero();
        Map<String, String> account = Map.of("entity", "Account");
        assertThat(delta(before, after, "events_import_lines_received_total", account)).as("another entity").isZero();
        assertThat(after).as("every entity of the schema has its series from the start")
                .contains("events_imports_active{entity=\"Role\"}");
        assertThat(after).as("no input in a label").doesNotContain(tag);
    }

    @Test
    void anImportInProgressIsActiveUntilItsClientGoesAway() throws Exception {
        Map<String, String> url = Map.of("entity", "Url");
        String cookie = TestServers.sessionCookie(server);
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofSeconds(10))) {
            http.send("POST /api/Url/_import HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n"
                    + "Cookie: sessionId=" + cookie + "\r\nContent-Length: 1000000\r\n\r\n" + urlLine(unique(), 1));
            assertThat(eventually(() -> value(scrape(anonymous), "events_imports_active", url), 1.0)).isEqualTo(1.0);
            http.reset();
        }
        assertThat(eventually(() -> value(scrape(anonymous), "events_imports_active", url), 0.0)).isZero();
    }

    @Test
    void anAnsweredErrorNamesItsExceptionAndAClientThatLeftCountsAsUnknown() throws Exception {
        // The API's own error envelopes are answers of its routes; a path outside every route is answered by
        // Spring's error handling, whose exception names the series (as Spring Boot's observation named it).
        String before = scrape(anonymous);
        anonymous.get().uri("/api/Account/x").exchange().expectStatus().isUnauthorized();
        anonymous.get().uri("/no-such-route").exchange().expectStatus().isNotFound();
        String after = scrape(anonymous);
        Map<String, String> unauthorized = Map.of("method", "GET", "uri", "/api/{entity}/{id}", "status", "401",
                "outcome", "CLIENT_ERROR", "exception", "none", "error", "none");
        assertThat(delta(before, after, "http_server_requests_seconds_count", unauthorized)).isEqualTo(1);
        Map<String, String> noRoute = Map.of("method", "GET", "uri", "/**", "status", "404", "outcome", "CLIENT_ERROR",
                "exception", "NoResourceFoundException", "error", "NoResourceFoundException");
        assertThat(delta(before, after, "http_server_requests_seconds_count", noRoute)).isEqualTo(1);

        // A POST whose client sends half its body and resets the connection: in flight until then, then
        // counted under its route with no status or outcome (nothing was answered).
        Map<String, String> posts = Map.of("method", "POST");
        Map<String, String> left = Map.of("method", "POST", "uri", "/api/{entity}", "status", "UNKNOWN",
                "outcome", "UNKNOWN");
        double leftBefore = value(scrape(anonymous), "http_server_requests_seconds_count", left);
        String cookie = TestServers.sessionCookie(server);
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofSeconds(10))) {
            http.send("POST /api/Url HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nCookie: sessionId="
                    + cookie + "\r\nContent-Length: 1000\r\n\r\n{\"url\": ");
            assertThat(eventually(() -> value(scrape(anonymous), "http_server_requests_active_seconds_count", posts), 1.0))
                    .as("the POST in flight").isEqualTo(1.0);
            http.reset();
            assertThat(eventually(() -> value(scrape(anonymous), "http_server_requests_seconds_count", left) - leftBefore,
                    1.0)).as("POST series: %s", scrape(anonymous).lines()
                    .filter(line -> line.startsWith("http_server_requests_seconds_count") && line.contains("POST")).toList())
                    .isEqualTo(1.0);
            assertThat(eventually(() -> value(scrape(anonymous), "http_server_requests_active_seconds_count", posts), 0.0))
                    .as("no POST in flight").isZero();
        } finally {
            root.detachAppender(logged);
        }
        synchronized (logged) {
            assertThat(logged.list).as("a client that went away is no error of the server's")
                    .noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.ERROR));
        }
    }

    @Test
    void poolSessionsAndJvmAreThereWithoutASession() {
        String text = scrape(anonymous);
        for (String gauge : new String[] {"r2dbc_pool_acquired_connections", "r2dbc_pool_idle_connections",
                "r2dbc_pool_pending_connections", "r2dbc_pool_allocated_connections",
                "r2dbc_pool_max_allocated_connections"}) {
            assertThat(value(text, gauge, Map.of())).as(gauge).isGreaterThanOrEqualTo(0);
        }
        assertThat(value(text, "r2dbc_pool_max_allocated_connections", Map.of())).isEqualTo(20);
        assertThat(value(text, "events_sessions_active", Map.of())).isGreaterThanOrEqualTo(0);
        assertThat(value(text, "jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();
        assertThat(value(text, "jvm_threads_live_threads", Map.of())).isPositive();
        assertThat(value(text, "process_uptime_seconds", Map.of())).isPositive();
    }

    @Test
    void managementPortMovesActuatorOffTheApiPort() throws IOException {
        int managementPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            managementPort = socket.getLocalPort();
        }
        try (EventsServer moved = TestServers.start(Map.of("EVENTS_MANAGEMENT_PORT", String.valueOf(managementPort)))) {
            assertThat(moved.managementPort()).isEqualTo(managementPort).isNotEqualTo(moved.port());
            WebTestClient management = WebTestClient.bindToServer().baseUrl("http://localhost:" + managementPort).build();
            TestServers.anonymous(moved).get().uri("/api/metadata").exchange().expectStatus().isOk();
            assertThat(scrape(management)).contains("uri=\"/api/metadata\"");
            management.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk()
                    .expectHeader().exists(RequestIds.HEADER);
            TestServers.anonymous(moved).get().uri("/actuator/prometheus").exchange().expectStatus().isNotFound();
        }
    }

    /** The {@code data} of an import's answer. */
    private String importing(String uri, String body) {
        return client.post().uri(uri).contentType(MediaType.parseMediaType("application/x-ndjson")).bodyValue(body)
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody()
                .replaceAll("^\\{\"data\":(\\{[^}]*}).*$", "$1");
    }

    private static String urlLine(String tag, int n) {
        return "{\"url\": \"https://example.org/import/" + tag + "/" + n + "\"}\n";
    }

    /** {@code read} until it gives {@code expected}, for up to 10 s: its last value. */
    private static double eventually(DoubleSupplier read, double expected) throws InterruptedException {
        double last = read.getAsDouble();
        for (int i = 0; i < 100 && last != expected; i++) {
            TimeUnit.MILLISECONDS.sleep(100);
            last = read.getAsDouble();
        }
        return last;
    }

    private static double delta(String before, String after, String name, Map<String, String> labels) {
        return value(after, name, labels) - value(before, name, labels);
    }

    private static String scrape(WebTestClient client) {
        return client.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectHeader().value("Content-Type", type -> assertThat(type).startsWith("text/plain"))
                .expectBody(String.class).returnResult().getResponseBody();
    }

    private static Map<String, String> with(Map<String, String> labels, String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(labels);
        copy.put(name, value);
        return copy;
    }

    /** The sum of the samples of {@code name} whose labels include {@code labels}; 0 when none. */
    static double value(String exposition, String name, Map<String, String> labels) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            Matcher sample = SAMPLE.matcher(line);
            if (line.startsWith("#") || !sample.matches() || !sample.group(1).equals(name)) {
                continue;
            }
            Map<String, String> found = new LinkedHashMap<>();
            if (sample.group(3) != null) {
                Matcher label = LABEL.matcher(sample.group(3));
                while (label.find()) {
                    found.put(label.group(1), label.group(2));
                }
            }
            if (found.entrySet().containsAll(labels.entrySet())) {
                sum += Double.parseDouble(sample.group(4));
            }
        }
        return sum;
    }
}
