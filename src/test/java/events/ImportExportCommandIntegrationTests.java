package events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.MediaType;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.db.postgresql.EmbeddedPostgreSQL;
import events.support.TestDatabase;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The jar's {@code import} and {@code export} commands (api.md 12.3): a round trip keeps every byte, bad
 * input gets a clear message and exit code, and on the embedded database they use a running server's
 * PostgreSQL (never a second one on the same files) or start and stop their own.
 */
final class ImportExportCommandIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static EventsServer server;
    private static WebTestClient admin;
    private static String database;

    @TempDir
    Path directory;

    @BeforeAll
    static void start() {
        server = TestServers.start(Map.of());
        database = TestServers.database(server);
        admin = TestServers.client(server);
    }

    @Test
    void anExportImportedIntoAWipedTableExportsTheSameBytes() throws Exception {
        post("/api/Event", "[{\"id\": \"ev-1\", \"url\": \"https://example.org/a\", \"title\": \"Jazz \\u00e9t\\u00e9 \\ud83c\\udfb7\","
                + " \"dateTime\": \"2026-07-01\", \"cost\": 12.50, \"numOfExpectedAttendees\": 300,"
                + " \"recurrence\": \"weekly\", \"tags\": [\"music\", \"open air\"]},"
                + " {\"url\": \"https://example.org/b\", \"title\": \"Tiny \\\"quoted\\\" cost\", \"dateTime\": \"2026-08-02T23:30:00+02:00\","
                + " \"cost\": 0.0000001, \"location\": \"Line\\nbreak\"},"
                + " {\"url\": \"https://example.org/c\", \"title\": \"Huge\", \"dateTime\": \"2027-01-01\","
                + " \"cost\": 123456789012345678901234567890.123456789}]");
        post("/api/Url", "[{\"id\": \"url-1\", \"url\": \"https://example.org/x?q=1\", \"params\": {\"z\": [1, 2.50, {\"deep\": null}],"
                + " \"a\": \"\\u0001 control\", \"n\": -0.0}}, {\"url\": \"https://example.org/y\"}]");
        for (String entity : List.of("Event", "Url")) {
            Path first = directory.resolve(entity + "-1.ndjson");
            Path second = directory.resolve(entity + "-2.ndjson");
            Result exported = command(external(), "export", entity, first.toString());
            assertThat(exported.exit()).as(exported.err()).isZero();
            assertThat(exported.err()).contains("documents exported to " + first);
            byte[] bytes = Files.readAllBytes(first);
            assertThat(new String(bytes, StandardCharsets.UTF_8).lines().count()).isEqualTo(entity.equals("Event") ? 3 : 2);
            assertThat(bytes).as("the same bytes as the HTTP stream").isEqualTo(httpStream("/api/" + entity));

            TestSql.query(database, "DELETE FROM \"" + entity + "\"");
            Result imported = command(external(), "import", entity, first.toString());
            assertThat(imported.exit()).as(imported.err()).isZero();
            JsonNode summary = JSON.readTree(imported.out());
            assertThat(summary.path("data").path("created").asInt()).isEqualTo(entity.equals("Event") ? 3 : 2);
            assertThat(summary.path("status").asString()).isEqualTo("success");

            assertThat(command(external(), "export", entity, second.toString()).exit()).isZero();
            assertThat(Files.readAllBytes(second)).as("ids, values and field order survive the round trip")
                    .isEqualTo(bytes);
        }
        try (var files = Files.list(directory)) {
            assertThat(files.map(Path::toString)).as("no partial export left behind").noneMatch(f -> f.endsWith(".part"));
        }
    }

    @Test
    void anExportFollowsFilterAndSortAndGoesToStandardOutputByDefault() {
        post("/api/Account", "[{\"id\": \"exp-a\", \"name\": \"Exported Alpha\", \"credit\": 10},"
                + " {\"id\": \"exp-b\", \"name\": \"Exported Bravo\", \"credit\": 20},"
                + " {\"id\": \"exp-c\", \"name\": \"Exported Charlie\", \"credit\": 30}]");
        Result result = command(external(), "export", "Account", "--filter", "name:exported,credit:gte:20",
                "--sort=credit:desc");
        assertThat(result.exit()).as(result.err()).isZero();
        List<String> ids = result.out().lines().map(line -> JSON.readTree(line).path("id").asString()).toList();
        assertThat(ids).containsExactly("exp-c", "exp-b");
    }

    @Test
    void badInputGetsAClearMessageAndAnExitCode() throws Exception {
        Result missing = command(external(), "import", "Account", directory.resolve("nope.ndjson").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo("events-server: Cannot read " + directory.resolve("nope.ndjson")
                + ": no such file");
        Result folder = command(external(), "import", "Account", directory.toString());
        assertThat(folder.exit()).isEqualTo(2);
        assertThat(folder.err()).contains("it is a directory");
        Result entity = command(external(), "import", "Nosuch", directory.resolve("nope.ndjson").toString());
        assertThat(entity.exit()).isEqualTo(2);
        assertThat(entity.err()).contains("Unknown entity 'Nosuch'");
        Result usage = command(external(), "import", "Account");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("usage: events-server [config.json] import");
        Result option = command(external(), "export", "Account", "--limit", "3");
        assertThat(option.exit()).isEqualTo(2);
        assertThat(option.err()).contains("unknown option --limit");
        Result filter = command(external(), "export", "Account", "--filter", "nosuch:1");
        assertThat(filter.exit()).isEqualTo(2);
        assertThat(filter.err()).contains("nosuch");
        Result folderTarget = command(external(), "export", "Account", directory.resolve("no/such/dir.ndjson").toString());
        assertThat(folderTarget.exit()).isEqualTo(2);
        assertThat(folderTarget.err()).contains("no such directory");

        Path file = directory.resolve("mixed.ndjson");
        Files.writeString(file, "{\"id\": \"mixed-ok\", \"name\": \"Mixed good one\"}\n{\"name\": \"bad\"}\nnot json\n");
        Result mixed = command(external(), "import", "Account", file.toString());
        assertThat(mixed.exit()).as("some lines failed").isEqualTo(1);
        JsonNode summary = JSON.readTree(mixed.out());
        assertThat(summary.path("data").toString()).isEqualTo("{\"received\":3,\"created\":1,\"failed\":2}");
        assertThat(summary.path("notifications").path("line 2").path("errors").path(0).path("field").asString())
                .isEqualTo("name");
        assertThat(summary.path("notifications").path("line 3").path("errors").path(0).path("type").asString())
                .isEqualTo("bad_request");
        assertThat(mixed.err()).contains("3 lines read, 1 documents created, 2 lines failed");

        Result atomic = command(external(), "import", "Account", file.toString(), "--mode", "atomic");
        assertThat(atomic.exit()).isEqualTo(1);
        assertThat(JSON.readTree(atomic.out()).path("data").path("created").asInt()).isZero();
    }

    @Test
    void standardInputIsReadWithADash() {
        Map<String, String> env = external();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        byte[] input = "{\"id\": \"stdin-1\", \"name\": \"From standard input\"}\n".getBytes(StandardCharsets.UTF_8);
        int exit = BulkCommands.run(new String[] {"import", "Account", "-"}, 0, env, new PrintStream(out, true),
                new PrintStream(err, true), () -> new ByteArrayInputStream(input));
        assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(TestSql.query(database, "SELECT data->>'name' AS name FROM \"Account\" WHERE id = 'stdin-1'"))
                .extracting(row -> row.get("name")).containsExactly("From standard input");
    }

    @Test
    void onTheEmbeddedDatabaseTheCommandsUseARunningServersPostgreSQL() throws Exception {
        Path data = directory.resolve("postgres");
        EventsConfig config = new ConfigLoader().load(null, Map.of("EVENTS_SERVER_PORT", "0", "EVENTS_POOL_MIN", "1",
                "EVENTS_POOL_MAX", "4"));
        try (EventsServer embedded = EventsServer.start(config, null, data)) {
            Optional<EmbeddedPostgreSQL.Running> running = EmbeddedPostgreSQL.running(data);
            assertThat(running).isPresent();
            // Principals from another system, with their bcrypt hashes, and a role for them.
            String hash = new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2Y, 4).encode("migrated-password");
            Path principals = directory.resolve("principals.ndjson");
            Files.writeString(principals, "{\"id\": \"ops\", \"role\": \"Operations\", \"permissions\": {\"*\": \"r\"}}\n");
            Path auth = directory.resolve("auth.ndjson");
            Files.writeString(auth, "{\"id\": \"migrated\", \"name\": \"migrated\", \"password\": \"" + hash
                    + "\", \"roleId\": \"ops\"}\n");
            assertThat(command(embedded(data), "import", "Role", principals.toString()).exit()).isZero();
            Result imported = command(embedded(data), "import", "Auth", auth.toString());
            assertThat(imported.exit()).as(imported.err()).isZero();

            // The jar itself, in another JVM: its standard output is the export and nothing else.
            Result exported = jar(data, "export", "Role", "--filter", "id:ops");
            assertThat(exported.exit()).as(exported.err()).isZero();
            assertThat(exported.out().strip()).isEqualTo("{\"id\":\"ops\",\"role\":\"Operations\",\"permissions\":{\"*\":\"r\"}}");
            assertThat(exported.err()).contains("Using the embedded PostgreSQL already running on port " + running.get().port());
            assertThat(EmbeddedPostgreSQL.running(data)).as("the server's PostgreSQL, still running").isEqualTo(running);

            TestServers.anonymous(embedded).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "migrated", "password", "migrated-password")).exchange()
                    .expectStatus().isOk()
                    .expectBody().jsonPath("$.data.roleId").isEqualTo("ops");
        }
        assertThat(EmbeddedPostgreSQL.running(data)).isEmpty();
    }

    @Test
    void onTheEmbeddedDatabaseWithNoServerTheCommandsStartAndStopTheirOwn() throws Exception {
        Path data = directory.resolve("postgres");
        Path file = directory.resolve("accounts.ndjson");
        Files.writeString(file, "{\"id\": \"own-1\", \"name\": \"Own PostgreSQL 1\", \"createdAt\": \"2026-01-01\","
                + " \"updatedAt\": \"2026-01-01T00:00:00.000Z\"}\n");
        Result imported = command(embedded(data), "import", "Account", file.toString());
        assertThat(imported.exit()).as(imported.err()).isZero();
        assertThat(EmbeddedPostgreSQL.running(data)).as("stopped when the command ended").isEmpty();
        Result exported = command(embedded(data), "export", "Account");
        assertThat(exported.exit()).as(exported.err()).isZero();
        assertThat(exported.out()).isEqualTo("{\"id\":\"own-1\",\"name\":\"Own PostgreSQL 1\",\"enabled\":true,"
                + "\"createdAt\":\"2026-01-01\",\"updatedAt\":\"2026-01-01T00:00:00.000Z\"}\n");
        assertThat(EmbeddedPostgreSQL.running(data)).isEmpty();
    }

    // ------------------------------------------------------------------ helpers

    private static void post(String path, String json) {
        admin.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange()
                .expectStatus().isCreated();
    }

    private static byte[] httpStream(String path) {
        return admin.get().uri(path).accept(MediaType.APPLICATION_NDJSON).exchange().expectStatus().isOk()
                .expectBody().returnResult().getResponseBody();
    }

    /** The environment of a command on the test server's database. */
    private Map<String, String> external() {
        Map<String, String> env = new HashMap<>();
        env.put("EVENTS_DB_URI", TestDatabase.uri());
        env.put("EVENTS_DB_NAME", database);
        env.put("EVENTS_DATA_DIR", directory.resolve("unused").toString());
        env.put("EVENTS_POOL_MIN", "1");
        return env;
    }

    private static Map<String, String> embedded(Path data) {
        return Map.of("EVENTS_DATA_DIR", data.toString(), "EVENTS_POOL_MIN", "1", "EVENTS_POOL_MAX", "4");
    }

    /** Runs a command in this JVM, as {@code main} would. */
    private static Result command(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream none = new ByteArrayInputStream(new byte[0]);
        int exit = BulkCommands.run(args, BulkCommands.position(args), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> none);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs the jar's main class in another JVM, as from a shell. */
    private static Result jar(Path data, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Application.class.getName()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(key -> key.startsWith("EVENTS_"));
        builder.environment().put("EVENTS_DATA_DIR", data.toString());
        builder.environment().put("EVENTS_POOL_MIN", "1");
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] err;
        byte[] out;
        try (InputStream stdout = process.getInputStream(); InputStream stderr = process.getErrorStream()) {
            var errors = new java.util.concurrent.CompletableFuture<byte[]>();
            Thread reader = new Thread(() -> {
                try {
                    errors.complete(stderr.readAllBytes());
                } catch (java.io.IOException e) {
                    errors.completeExceptionally(e);
                }
            });
            reader.start();
            out = stdout.readAllBytes();
            err = errors.get(60, TimeUnit.SECONDS);
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    private record Result(int exit, String out, String err) {
    }
}
