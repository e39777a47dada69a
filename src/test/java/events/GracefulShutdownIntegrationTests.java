package events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import events.db.postgresql.EmbeddedPostgreSQL;
import events.support.TestSql;

/**
 * SIGTERM (api.md 15) on the real server in its own JVM, on the embedded PostgreSQL: a long NDJSON stream
 * and a slow request that are under way both complete, new connections are refused meanwhile, and the
 * embedded PostgreSQL is then stopped cleanly (its log says so, and its next start needs no recovery).
 */
final class GracefulShutdownIntegrationTests {

    private static final int DOCUMENTS = 60_000;
    private static final String PASSWORD = "shutdown-admin-password";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path directory;

    @Test
    void sigtermLetsAStreamAndASlowRequestFinishThenStopsPostgreSQLCleanly() throws Exception {
        Path data = directory.resolve("postgres");
        int port = freePort();
        Process server = start(data, port);
        ExecutorService readers = Executors.newFixedThreadPool(2);
        try {
            awaitReady(server, port);
            String cookie = login(port);
            int postgresPort = EmbeddedPostgreSQL.running(data).orElseThrow().port();
            TestSql.queryAt("postgresql://postgres@localhost:" + postgresPort, "events",
                    "INSERT INTO \"Url\" (id, data) SELECT 'url-' || lpad(i::text, 7, '0'), jsonb_build_object('url', "
                            + "'https://example.org/page/' || i || '?q=' || md5(i::text), 'createdAt', '2026-01-01', "
                            + "'updatedAt', '2026-01-01T00:00:00.000Z') FROM generate_series(1, " + DOCUMENTS + ") AS i");

            // A stream read slowly through a small window: it is under way when the signal comes.
            Socket streamSocket = connect(port, 4096);
            streamSocket.getOutputStream().write(("GET /api/Url?sort=id HTTP/1.1\r\nHost: localhost\r\n"
                    + "Accept: application/x-ndjson\r\nCookie: " + cookie + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream streamIn = streamSocket.getInputStream();
            String streamHead = head(streamIn);
            assertThat(streamHead).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
            CompletableFuture<Long> streamed = CompletableFuture.supplyAsync(() -> readChunkedLines(streamIn), readers);
            // The packaged run's event loops (EventLoopThreads): half the cores each for HTTP and the driver,
            // though more HTTP connections than that (probes, login, the stream) are open by now.
            int loops = EventLoopThreads.forCores(Runtime.getRuntime().availableProcessors());
            assertThat(threadsNamed(server, "webflux-http-")).as("HTTP event-loop threads").isBetween(1L, (long) loops);
            assertThat(threadsNamed(server, "reactor-tcp-")).as("driver event-loop threads").isBetween(1L, (long) loops);

            // A slow request: headers and half the body now, the rest after the signal.
            byte[] body = "{\"url\": \"https://example.org/sent-slowly-during-shutdown\"}".getBytes(StandardCharsets.UTF_8);
            Socket slowSocket = connect(port, 0);
            OutputStream slowOut = slowSocket.getOutputStream();
            slowOut.write(("POST /api/Url HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nCookie: "
                    + cookie + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            slowOut.write(body, 0, body.length / 2);
            slowOut.flush();
            Thread.sleep(300);

            server.destroy(); // SIGTERM
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            boolean refused = false;
            while (!refused && System.nanoTime() < deadline) {
                try (Socket probe = new Socket()) {
                    probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    Thread.sleep(50);
                } catch (ConnectException e) {
                    refused = true;
                }
            }
            assertThat(refused).as("new connections refused once the shutdown began").isTrue();
            assertThat(streamed).as("the stream is still under way").isNotDone();
            assertThat(server.isAlive()).isTrue();

            slowOut.write(body, body.length / 2, body.length - body.length / 2);
            slowOut.flush();
            String slowAnswer = new String(slowSocket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(slowAnswer).startsWith("HTTP/1.1 201").contains("sent-slowly-during-shutdown");

            assertThat(streamed.get(60, TimeUnit.SECONDS)).as("every document, then the end of the stream")
                    .isEqualTo(DOCUMENTS);
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("the server exits").isTrue();
            String output = Files.readString(directory.resolve("server.log"));
            assertThat(output).contains("Commencing graceful shutdown").contains("Graceful shutdown complete");
            assertThat(EmbeddedPostgreSQL.running(data)).as("PostgreSQL stopped with the server").isEmpty();
        } finally {
            readers.shutdownNow();
            if (server.isAlive()) {
                server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }

        String stopped = postgresLog(data);
        assertThat(stopped).contains("received fast shutdown request").contains("database system is shut down");
        assertThat(stopped).doesNotContain("PANIC");
        // The next start finds a cleanly stopped cluster: no crash recovery.
        try (EmbeddedPostgreSQL restarted = EmbeddedPostgreSQL.start(data, 0)) {
            assertThat(restarted.port()).isPositive();
        }
        String restartLog = postgresLog(data).substring(stopped.length());
        assertThat(restartLog).contains("database system was shut down at")
                .doesNotContain("not properly shut down").doesNotContain("automatic recovery")
                .doesNotContain("database system was interrupted");
    }

    /** Threads of {@code process} whose name starts with {@code prefix} (Linux: /proc/PID/task/TID/comm). */
    private static long threadsNamed(Process process, String prefix) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
            return tasks.filter(task -> {
                try {
                    return Files.readString(task.resolve("comm")).startsWith(prefix);
                } catch (IOException ended) {
                    return false; // the thread ended meanwhile
                }
            }).count();
        }
    }

    private Process start(Path data, int port) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), Application.class.getName());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("server.log").toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(key -> key.startsWith("EVENTS_"));
        env.put("EVENTS_DATA_DIR", data.toString());
        env.put("EVENTS_SERVER_PORT", String.valueOf(port));
        env.put("EVENTS_POOL_MIN", "1");
        env.put("EVENTS_ADMIN_PASSWORD", PASSWORD);
        env.put("EVENTS_SHUTDOWN_GRACE_SECONDS", "60");
        return builder.start();
    }

    private void awaitReady(Process server, int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(server.isAlive()).as("server running; its log: %s", directory.resolve("server.log")).isTrue();
            try {
                HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("The server did not become ready; see " + directory.resolve("server.log"));
    }

    private static String login(int port) throws Exception {
        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/api/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"login\": \"admin\", \"password\": \"" + PASSWORD + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        return login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    }

    private static Socket connect(int port, int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(60_000);
        return socket;
    }

    /** The response head, up to its blank line. */
    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("Connection closed in the response head: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /**
     * The number of lines of a chunked body, read at about 2 MB/s, up to its last chunk; an exception
     * when the connection ends before it (a stream cut short).
     */
    private static long readChunkedLines(InputStream in) {
        try {
            long lines = 0;
            long read = 0;
            while (true) {
                String size = line(in);
                int length = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (length == 0) {
                    line(in);
                    return lines;
                }
                byte[] chunk = in.readNBytes(length);
                if (chunk.length < length) {
                    throw new IOException("The stream ended inside a chunk");
                }
                for (byte b : chunk) {
                    if (b == '\n') {
                        lines++;
                    }
                }
                line(in);
                read += length;
                if (read >= 64 * 1024) {
                    read = 0;
                    Thread.sleep(30);
                }
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("The stream did not complete", e);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("The connection ended mid-stream");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private static String postgresLog(Path data) throws IOException {
        List<Path> files;
        try (Stream<Path> listed = Files.list(EmbeddedPostgreSQL.logDirectory(data))) {
            files = new ArrayList<>(listed.sorted(Comparator.comparing(Path::getFileName)).toList());
        }
        StringBuilder all = new StringBuilder();
        for (Path file : files) {
            all.append(Files.readString(file));
        }
        return all.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
