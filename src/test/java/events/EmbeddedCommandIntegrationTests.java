package events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.MediaType;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.config.StartupException;
import events.db.postgresql.EmbeddedPostgreSQL;
import events.support.TestServers;
import tools.jackson.databind.JsonNode;

/**
 * The {@code create} command on {@code db_uri: embedded} (api.md 9.3, 12.3): while a server runs on the
 * data directory it uses that server's PostgreSQL (never a second postmaster on the same files) and
 * leaves it running; with no server it starts one for itself and stops it cleanly.
 */
final class EmbeddedCommandIntegrationTests {

    @TempDir
    Path directory;

    @Test
    void createWorksWhileAServerRunsOnTheEmbeddedDatabase() throws Exception {
        EventsConfig config = embedded();
        Path data = directory.resolve("postgres");
        try (EventsServer server = EventsServer.start(config, null, data)) {
            Optional<EmbeddedPostgreSQL.Running> running = EmbeddedPostgreSQL.running(data);
            assertThat(running).as("the server's postmaster, from postmaster.pid").isPresent();

            JsonNode role = EventsServer.createOffline(config, null, data, "Role",
                    "{\"id\": \"ops\", \"role\": \"Operations\", \"permissions\": {\"*\": \"r\", \"Url\": \"s\"}}");
            assertThat(role.path("id").asString()).isEqualTo("ops");
            // Another JVM, as from a shell: the jar's command itself.
            Result principal = command(data, "create", "Auth",
                    "{\"name\": \"operator\", \"password\": \"operator-password\", \"roleId\": \"ops\"}");
            assertThat(principal.exitCode()).as(principal.stderr()).isZero();
            assertThat(principal.stdout()).contains("\"name\":\"operator\"").doesNotContain("password");

            assertThat(EmbeddedPostgreSQL.running(data)).as("the command left the server's PostgreSQL running")
                    .isEqualTo(running);
            String cookie = TestServers.anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "operator", "password", "operator-password")).exchange()
                    .expectStatus().isOk()
                    .expectBody().jsonPath("$.data.roleId").isEqualTo("ops")
                    .jsonPath("$.data.permissions.entity.Url").isEqualTo("cruds")
                    .returnResult().getResponseCookies().getFirst("sessionId").getValue();
            TestServers.anonymous(server).mutate().defaultCookie("sessionId", cookie).build()
                    .post().uri("/api/Url").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("url", "https://example.org/ops")).exchange().expectStatus().isCreated();
        }
        assertThat(EmbeddedPostgreSQL.running(data)).as("the server stopped its PostgreSQL").isEmpty();
    }

    @Test
    void createWithNoServerStartsThePostgreSQLForItselfAndStopsIt() {
        EventsConfig config = embedded();
        Path data = directory.resolve("postgres");
        EventsServer.createOffline(config, null, data, "Role",
                "{\"id\": \"ops\", \"role\": \"Operations\", \"permissions\": {\"*\": \"crud\"}}");
        EventsServer.createOffline(config, null, data, "Auth",
                "{\"name\": \"operator\", \"password\": \"operator-password\", \"roleId\": \"ops\"}");
        assertThat(EmbeddedPostgreSQL.running(data)).as("stopped when the command ended").isEmpty();
        assertThat(data.resolve("PG_VERSION")).exists();

        try (EventsServer server = EventsServer.start(config, null, data)) {
            TestServers.anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "operator", "password", "operator-password")).exchange()
                    .expectStatus().isOk()
                    .expectBody().jsonPath("$.data.permissions.entity.Account").isEqualTo("crud");
        }
    }

    @Test
    void aServerRefusesADataDirectoryWhosePostgreSQLIsAlreadyRunning() {
        Path data = directory.resolve("postgres");
        try (EmbeddedPostgreSQL first = EmbeddedPostgreSQL.attachOrStart(data)) {
            assertThat(first.owned()).isTrue();
            try (EmbeddedPostgreSQL second = EmbeddedPostgreSQL.attachOrStart(data)) {
                assertThat(second.owned()).as("attached, not started").isFalse();
                assertThat(second.port()).isEqualTo(first.port());
            }
            assertThat(EmbeddedPostgreSQL.running(data)).as("closing an attached handle stops nothing").isPresent();
            assertThatThrownBy(() -> EmbeddedPostgreSQL.start(data, 0))
                    .isInstanceOf(StartupException.class)
                    .hasMessageContaining("already runs on")
                    .hasMessageContaining("pid " + EmbeddedPostgreSQL.running(data).orElseThrow().pid());
        }
        assertThat(EmbeddedPostgreSQL.running(data)).isEmpty();
    }

    private static EventsConfig embedded() {
        EventsConfig config = new ConfigLoader().load(null, Map.of("EVENTS_SERVER_PORT", "0",
                "EVENTS_POOL_MIN", "1", "EVENTS_POOL_MAX", "4"));
        assertThat(config.embedded()).isTrue();
        return config;
    }

    private static Result command(Path data, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dlogging.level.root=OFF", Application.class.getName()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(key -> key.startsWith("EVENTS_"));
        builder.environment().put("EVENTS_DATA_DIR", data.toString());
        builder.environment().put("EVENTS_POOL_MIN", "1");
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stdout = new String(out, StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("{"))
                .reduce("", String::concat);
        return new Result(process.exitValue(), stdout, new String(err, StandardCharsets.UTF_8));
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }
}
