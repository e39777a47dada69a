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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.Application;
import events.support.TestDatabase;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The issue's figure for an import at constant memory (api.md 12.2): a server in its own JVM with a
 * 256 MiB heap takes 1,000,000 lines of 312 bytes (312 MB, made as they are sent, never held whole by the
 * client either), streams a progress line per batch back, and stores every document. It takes about a
 * minute on 2 shared cores, so it runs only when asked:
 * {@code ./mvnw -B verify -Dtest=ImportMemoryIntegrationTests -Dimport.lines=1000000}
 * ({@code import.padding}, 144 characters, and {@code import.heap}, 256m, change the line and the heap).
 * The suite's own check of the same property is in {@link StreamingIntegrationTests}: 145 MB into 128 MiB.
 */
@EnabledIfSystemProperty(named = "import.lines", matches = "[0-9]+")
final class ImportMemoryIntegrationTests {

    private static final Logger log = LoggerFactory.getLogger(ImportMemoryIntegrationTests.class);
    private static final int LINES = Integer.getInteger("import.lines", 1_000_000);
    /** Characters of padding per line: with 144 a line is 312 bytes. */
    private static final int PADDING = Integer.getInteger("import.padding", 144);
    private static final String HEAP = System.getProperty("import.heap", "256m");
    private static final Path GC_LOG = Path.of("target", "import-memory-gc.log").toAbsolutePath();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_it_import_" + ProcessHandle.current().pid();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();
    private static Process server;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + HEAP, "-XX:+ExitOnOutOfMemoryError", "-Xlog:gc:file=" + GC_LOG, "-cp", System.getProperty("java.class.path"),
                Application.class.getName());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target", "import-memory-server.log").toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(key -> key.startsWith("EVENTS_"));
        env.put("EVENTS_DB_URI", TestDatabase.uri());
        env.put("EVENTS_DB_NAME", DATABASE);
        env.put("EVENTS_SERVER_PORT", String.valueOf(port));
        env.put("EVENTS_SCHEMA", Path.of("src/test/resources/import-schema.yaml").toAbsolutePath().toString());
        env.put("EVENTS_POOL_MIN", "1");
        env.put("EVENTS_DATA_DIR", TestServers.dataDirectory().toString());
        server = builder.start();
        awaitHealthy();
    }

    @AfterAll
    static void stop() throws Exception {
        server.destroy();
        server.waitFor();
    }

    @Test
    void aBodyLargerThanTheHeapIsImportedWithProgress() throws Exception {
        long started = System.nanoTime();
        AtomicLong sent = new AtomicLong();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/Reading/_import"))
                .header("Content-Type", "application/x-ndjson").header("Accept", "application/x-ndjson")
                .timeout(Duration.ofMinutes(20))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Lines(LINES, sent))).build();
        HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<JsonNode> progress = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                progress.add(JSON.readTree(line));
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        log.info("Imported {} lines ({} MB) into a -Xmx{} server in {} s ({} lines/s)", LINES,
                sent.get() / 1_000_000, HEAP, Math.round(seconds), Math.round(LINES / seconds));
        assertThat(server.isAlive()).as("no OutOfMemoryError with -Xmx" + HEAP + " (see target/import-memory-server.log)")
                .isTrue();
        // The heap in use after each collection, from the GC log ("Pause Young ... 44M->28M(64M)").
        Matcher after = Pattern.compile("->(\\d+)M\\(").matcher(Files.readString(GC_LOG));
        int most = 0;
        while (after.find()) {
            most = Math.max(most, Integer.parseInt(after.group(1)));
        }
        log.info("Heap in use after a collection: at most {} MB of -Xmx{}", most, HEAP);
        JsonNode summary = progress.get(progress.size() - 1);
        assertThat(summary.path("data").toString())
                .isEqualTo("{\"received\":" + LINES + ",\"created\":" + LINES + ",\"failed\":0}");
        assertThat(progress).as("a line per batch of 1000, and the summary").hasSize((LINES + 999) / 1000 + 1);
        assertThat(TestSql.query(DATABASE, "SELECT count(*) AS n FROM \"Reading\"").get(0).get("n")).isEqualTo((long) LINES);
    }

    /** NDJSON lines made as they are read: the client holds one line at a time, never the body. */
    private static final class Lines extends InputStream {

        private static final String PAD = "padding ".repeat(PADDING / 8 + 1).substring(0, PADDING);
        private final int count;
        private final AtomicLong sent;
        private int next;
        private byte[] line = new byte[0];
        private int position;

        Lines(int count, AtomicLong sent) {
            this.count = count;
            this.sent = sent;
        }

        @Override
        public int read() {
            if (position == line.length && !advance()) {
                return -1;
            }
            return line[position++] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position == line.length && !advance()) {
                return -1;
            }
            int n = Math.min(length, line.length - position);
            System.arraycopy(line, position, buffer, offset, n);
            position += n;
            return n;
        }

        private boolean advance() {
            if (next == count) {
                return false;
            }
            int i = next++;
            String text = String.format("{\"id\": \"r-%08d\", \"reading\": {\"sensor\": \"sensor-%04d\", \"value\": %d.%03d, "
                    + "\"at\": \"2026-11-28T08:%02d:%02d.%03dZ\", \"tags\": [\"outdoor\", \"calibrated\"], "
                    + "\"ok\": %b}, \"note\": \"%s\"}\n", i, i % 1000, i % 977, i % 1000, i / 60 % 60, i % 60,
                    i % 1000, i % 7 != 0, PAD);
            line = text.getBytes(StandardCharsets.UTF_8);
            sent.addAndGet(line.length);
            position = 0;
            return true;
        }
    }

    private static void awaitHealthy() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited; see target/import-memory-server.log");
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
        throw new IllegalStateException("server did not become healthy; see target/import-memory-server.log");
    }
}
