package events;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import events.support.TestDatabase;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code log_format: json} and {@code access_log: true} (api.md 15) in the server's own JVM: every line it
 * writes, from the first start-up line to the last shutdown line, is a JSON object, and each request has
 * an access line with its time, level, request id, method, route, status and latency.
 */
final class StructuredLogsIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path directory;

    @Test
    void everyLineIsJsonAndEachRequestHasAnAccessLine() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = directory.resolve("server.log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), Application.class.getName())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(key -> key.startsWith("EVENTS_"));
        env.put("EVENTS_DB_URI", TestDatabase.uri());
        env.put("EVENTS_DB_NAME", "events_it_logs_" + ProcessHandle.current().pid());
        env.put("EVENTS_SERVER_PORT", String.valueOf(port));
        env.put("EVENTS_POOL_MIN", "1");
        env.put("EVENTS_DATA_DIR", directory.resolve("data").toString());
        env.put("EVENTS_LOG_FORMAT", "json");
        env.put("EVENTS_ACCESS_LOG", "true");
        Process server = builder.start();
        try {
            awaitReady(server, port, log);
            HttpResponse<String> metadata = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                    + "/api/metadata")).header("X-Request-Id", "json-log-1").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metadata.statusCode()).isEqualTo(200);
            HttpResponse<String> missing = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                    + "/api/Account/abc")).header("X-Request-Id", "json-log-2").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(missing.statusCode()).isEqualTo(401);
            Thread.sleep(500); // the access line follows the answer
            server.destroy();
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            if (server.isAlive()) {
                server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                lines.add(JSON.readTree(line));
            } catch (JacksonException e) {
                throw new AssertionError("Not a JSON line: " + line, e);
            }
        }
        assertThat(lines).hasSizeGreaterThan(5);
        assertThat(lines).allSatisfy(line -> {
            assertThat(line.path("@timestamp").asString()).matches("\\d{4}-\\d{2}-\\d{2}T.*");
            assertThat(line.path("level").asString()).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
            assertThat(line.has("message")).isTrue();
        });
        assertThat(lines).anySatisfy(line -> assertThat(line.path("message").asString()).startsWith("Connected to"));
        assertThat(lines).anySatisfy(line -> assertThat(line.path("message").asString())
                .isEqualTo("Graceful shutdown complete"));

        JsonNode first = access(lines, "json-log-1");
        assertThat(first.path("level").asString()).isEqualTo("INFO");
        assertThat(first.path("method").asString()).isEqualTo("GET");
        assertThat(first.path("route").asString()).isEqualTo("/api/metadata");
        assertThat(first.path("status").asInt()).isEqualTo(200);
        assertThat(first.path("latencyMs").isNumber()).isTrue();
        JsonNode second = access(lines, "json-log-2");
        assertThat(second.path("route").asString()).isEqualTo("/api/{entity}/{id}");
        assertThat(second.path("path").asString()).isEqualTo("/api/Account/abc");
        assertThat(second.path("status").asInt()).isEqualTo(401);
    }

    private static JsonNode access(List<JsonNode> lines, String requestId) {
        List<JsonNode> found = lines.stream().filter(line -> line.path("logger_name").asString().equals("events.access"))
                .filter(line -> line.path("requestId").asString().equals(requestId)).toList();
        assertThat(found).as("the access line of " + requestId).hasSize(1);
        return found.get(0);
    }

    private static void awaitReady(Process server, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(server.isAlive()).as("server running; its log: %s", log).isTrue();
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health/readiness"))
                        .build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("The server did not become ready; see " + log);
    }
}
