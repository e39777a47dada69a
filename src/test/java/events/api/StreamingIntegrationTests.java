package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

import events.Application;
import events.support.TestDatabase;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * NDJSON streaming (api.md 5.5) against the real server in its own JVM with a 128 MiB heap: 200,000
 * documents arrive complete and in order to a slow reader (so nothing is buffered whole), a client that
 * goes away mid-stream gives its database connection back, and an import body larger than the heap
 * streams through (api.md 12.2; {@link ImportMemoryIntegrationTests} has the 1,000,000 lines).
 */
final class StreamingIntegrationTests {

    private static final int DOCUMENTS = 200_000;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_it_stream_" + ProcessHandle.current().pid();
    private static Process server;
    private static int port;
    private static String cookie;
    private static String importer;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), Application.class.getName());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target", "streaming-server.log").toFile());
        Map<String, String> env = builder.environment();
        env.put("EVENTS_DB_URI", TestDatabase.uri());
        env.put("EVENTS_DB_NAME", DATABASE);
        env.put("EVENTS_SERVER_PORT", String.valueOf(port));
        env.put("EVENTS_POOL_MIN", "1");
        env.put("EVENTS_DATA_DIR", TestServers.dataDirectory().toString()); // the first run's password file
        server = builder.start();
        awaitHealthy();
        TestSql.query(DATABASE, "INSERT INTO \"Url\" (id, data) SELECT 'url-' || lpad(i::text, 7, '0'), "
                + "jsonb_build_object('url', 'https://example.org/page/' || i || '?q=' || md5(i::text), "
                + "'createdAt', '2026-01-01', 'updatedAt', '2026-01-01T00:00:00.000Z') "
                + "FROM generate_series(1, " + DOCUMENTS + ") AS i");
        // A reader: role and principal written straight to the tables (the hash made here with bcrypt).
        TestSql.query(DATABASE, "INSERT INTO \"Role\" (id, data) VALUES ('stream-role', "
                + "'{\"role\": \"Streamer\", \"permissions\": {\"*\": \"r\"}}')");
        TestSql.query(DATABASE, "INSERT INTO \"Auth\" (id, data) VALUES ('streamer', jsonb_build_object('name', "
                + "'streamer', 'password', $1::text, 'roleId', 'stream-role'))",
                new BCryptPasswordEncoder(4).encode("stream-password"));
        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/api/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"login\": \"streamer\", \"password\": \"stream-password\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(200);
        cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        TestSql.query(DATABASE, "INSERT INTO \"Role\" (id, data) VALUES ('import-role', "
                + "'{\"role\": \"Importer\", \"permissions\": {\"*\": \"r\", \"Crawl\": \"c\"}}')");
        TestSql.query(DATABASE, "INSERT INTO \"Auth\" (id, data) VALUES ('importer', jsonb_build_object('name', "
                + "'importer', 'password', $1::text, 'roleId', 'import-role'))",
                new BCryptPasswordEncoder(4).encode("import-password"));
        HttpResponse<String> importerLogin = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/api/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"login\": \"importer\", \"password\": \"import-password\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(importerLogin.statusCode()).isEqualTo(200);
        importer = importerLogin.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    }

    @AfterAll
    static void stop() throws Exception {
        server.destroy();
        server.waitFor();
    }

    @Test
    void aSlowReaderGetsEveryDocumentInOrderFromASmallHeap() throws Exception {
        HttpResponse<InputStream> response = HTTP.send(stream("/api/Url?sort=id"),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
        int count = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                count++;
                JsonNode document = JSON.readTree(line);
                assertThat(document.path("id").asString()).isEqualTo(String.format("url-%07d", count));
                if (count % 20_000 == 0) {
                    Thread.sleep(250); // a slow consumer: the server must wait, not buffer
                }
            }
        }
        assertThat(count).isEqualTo(DOCUMENTS);
        assertThat(server.isAlive()).as("no OutOfMemoryError with -Xmx128m").isTrue();
        assertThat(acquiredConnections()).isZero();
    }

    @Test
    void aClientThatDisconnectsMidStreamReleasesItsConnection() throws Exception {
        HttpResponse<InputStream> response = HTTP.send(stream("/api/Url?sort=url:desc"),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        InputStream body = response.body();
        List<String> first = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        for (int i = 0; i < 1000; i++) {
            first.add(reader.readLine());
        }
        assertThat(first).doesNotContainNull();
        assertThat(acquiredConnections()).as("the stream holds a connection").isEqualTo(1);
        body.close();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int acquired = 1;
        while (System.nanoTime() < deadline && acquired != 0) {
            Thread.sleep(200);
            acquired = acquiredConnections();
        }
        assertThat(acquired).as("connection released after the client left").isZero();
        List<Map<String, Object>> stuck = TestSql.query(DATABASE, "SELECT pid FROM pg_stat_activity WHERE datname = $1 "
                + "AND application_name = 'events-server' AND state <> 'idle'", DATABASE);
        assertThat(stuck).isEmpty();
    }

    /**
     * 100,000 Crawls of about 1,450 bytes (145 MB, more than the heap), made as they are sent, each naming one
     * of the stored Urls (so every batch's foreign keys are checked): all stored, a progress line per batch.
     */
    @Test
    void anImportBodyLargerThanTheHeapStreamsThrough() throws Exception {
        int lines = 100_000;
        String padding = "x".repeat(1300);
        InputStream body = new SequenceOfLines(lines, i -> String.format("{\"id\": \"crawl-%07d\", \"urlId\": "
                + "\"url-%07d\", \"lastParsedDate\": \"2026-11-%02d\", \"parseStatus\": {\"ok\": %b, \"pages\": %d, "
                + "\"log\": \"%s\"}}\n", i, 1 + i % 100, 1 + i % 28, i % 5 != 0, i % 1000, padding));
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/api/Crawl/_import")).header("Cookie", importer).header("Content-Type", "application/x-ndjson")
                .header("Accept", "application/x-ndjson").timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> progress = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                progress.add(line);
            }
        }
        assertThat(progress).hasSize(lines / 1000 + 1);
        assertThat(JSON.readTree(progress.get(progress.size() - 1)).path("data").toString())
                .isEqualTo("{\"received\":" + lines + ",\"created\":" + lines + ",\"failed\":0}");
        assertThat(server.isAlive()).as("no OutOfMemoryError with -Xmx128m").isTrue();
        assertThat(TestSql.query(DATABASE, "SELECT count(*) AS n FROM \"Crawl\"").get(0).get("n")).isEqualTo((long) lines);
        assertThat(acquiredConnections()).isZero();
    }

    /** Lines made one at a time as they are read, so the client never holds the body either. */
    private static final class SequenceOfLines extends InputStream {

        private final int count;
        private final java.util.function.IntFunction<String> line;
        private int next;
        private byte[] current = new byte[0];
        private int position;

        SequenceOfLines(int count, java.util.function.IntFunction<String> line) {
            this.count = count;
            this.line = line;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position == current.length) {
                if (next == count) {
                    return -1;
                }
                current = line.apply(next++).getBytes(StandardCharsets.UTF_8);
                position = 0;
            }
            int n = Math.min(length, current.length - position);
            System.arraycopy(current, position, buffer, offset, n);
            position += n;
            return n;
        }
    }

    private static HttpRequest stream(String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Accept", "application/x-ndjson").header("Cookie", cookie).timeout(Duration.ofMinutes(5)).build();
    }

    private static int acquiredConnections() throws Exception {
        HttpResponse<String> report = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                + "/api/db/report")).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(report.body()).path("report").path("details").path("pool").path("acquired").asInt();
    }

    private static void awaitHealthy() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited; see target/streaming-server.log");
            }
            try {
                HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // still starting
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("server did not become healthy; see target/streaming-server.log");
    }
}
