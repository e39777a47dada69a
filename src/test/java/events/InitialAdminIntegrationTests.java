package events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.MediaType;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.config.StartupException;
import events.support.TestServers;
import events.support.TestSql;

/**
 * The first run (api.md 9.3): a development server with no principal creates role {@code admin} and
 * principal {@code admin}, whose password (random, printed once and written owner-only to the data
 * directory, or {@code EVENTS_ADMIN_PASSWORD}) logs in; never twice, never in production.
 */
@ExtendWith(OutputCaptureExtension.class)
final class InitialAdminIntegrationTests {

    private static final Pattern LOGGED_PASSWORD = Pattern.compile("log in with login 'admin' and password '([^']+)'");

    @TempDir
    Path directory;

    @Test
    void aFreshDevelopmentServerCreatesTheAdministratorWhosePrintedPasswordLogsIn(CapturedOutput output)
            throws Exception {
        EventsConfig config = TestServers.config(Map.of());
        Path data = directory.resolve("data");
        String password;
        try (EventsServer server = EventsServer.start(config, null, data)) {
            password = loggedPassword(output.getOut());
            Path file = data.resolve(InitialAdmin.PASSWORD_FILE);
            assertThat(Files.readString(file).strip()).isEqualTo(password);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(password).hasSizeGreaterThanOrEqualTo(20);

            TestServers.anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "admin", "password", password)).exchange()
                    .expectStatus().isOk()
                    .expectBody().jsonPath("$.data.login").isEqualTo("admin")
                    .jsonPath("$.data.roleId").isEqualTo("admin")
                    .jsonPath("$.data.permissions.entity.Account").isEqualTo("cruds")
                    .jsonPath("$.data.permissions.entity.Role").isEqualTo("cruds");
        }
        assertThat(count(config, "Auth")).isEqualTo(1);
        assertThat(TestSql.query(config.dbName(), "SELECT data->'permissions' AS p FROM \"Role\" WHERE id = 'admin'")
                .get(0).get("p").toString()).contains("\"*\"").contains("\"s\"");

        // A second start finds a principal: nothing is created, printed or written again.
        long written = Files.getLastModifiedTime(data.resolve(InitialAdmin.PASSWORD_FILE)).toMillis();
        int before = output.getOut().length();
        try (EventsServer again = EventsServer.start(config, null, data)) {
            assertThat(output.getOut().substring(before)).doesNotContain("First run");
            TestServers.anonymous(again).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "admin", "password", password)).exchange().expectStatus().isOk();
        }
        assertThat(Files.getLastModifiedTime(data.resolve(InitialAdmin.PASSWORD_FILE)).toMillis()).isEqualTo(written);
        assertThat(Files.readString(data.resolve(InitialAdmin.PASSWORD_FILE)).strip()).isEqualTo(password);
        assertThat(count(config, "Auth")).isEqualTo(1);
    }

    @Test
    void productionNeverCreatesIt(CapturedOutput output) {
        EventsConfig config = TestServers.config(Map.of("EVENTS_ENVIRONMENT", "production"));
        Path data = directory.resolve("data");
        try (EventsServer server = EventsServer.start(config, null, data, "would-be-password")) {
            TestServers.anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "admin", "password", "would-be-password")).exchange()
                    .expectStatus().isUnauthorized();
        }
        assertThat(output.getOut()).doesNotContain("First run");
        assertThat(data.resolve(InitialAdmin.PASSWORD_FILE)).doesNotExist();
        assertThat(count(config, "Auth")).isZero();
        assertThat(count(config, "Role")).isZero();
    }

    @Test
    void theAdminPasswordVariableIsUsedWhenSet(CapturedOutput output) {
        EventsConfig config = TestServers.config(Map.of());
        Path data = directory.resolve("data");
        try (EventsServer server = EventsServer.start(config, null, data, "chosen-admin-password")) {
            TestServers.anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "admin", "password", "chosen-admin-password")).exchange()
                    .expectStatus().isOk();
        }
        assertThat(output.getOut()).contains("with the password from EVENTS_ADMIN_PASSWORD")
                .doesNotContain("chosen-admin-password");
        assertThat(data.resolve(InitialAdmin.PASSWORD_FILE)).as("the operator knows it").doesNotExist();
    }

    @Test
    void anAdminPasswordTheSchemaRefusesStopsTheStart() {
        EventsConfig config = TestServers.config(Map.of());
        assertThatThrownBy(() -> EventsServer.start(config, null, directory, "short"))
                .isInstanceOf(StartupException.class)
                .hasMessageContaining("EVENTS_ADMIN_PASSWORD")
                .hasMessageContaining("password")
                .hasMessageNotContaining("short");
    }

    @Test
    void anExistingAdminRoleIsKept(CapturedOutput output) {
        EventsConfig config = TestServers.config(Map.of());
        EventsServer.createOffline(config, null, directory, "Role",
                "{\"id\": \"admin\", \"role\": \"Readers\", \"permissions\": {\"*\": \"r\"}}");
        try (EventsServer server = EventsServer.start(config, null, directory, "chosen-admin-password")) {
            TestServers.anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "admin", "password", "chosen-admin-password")).exchange()
                    .expectStatus().isOk()
                    .expectBody().jsonPath("$.data.permissions.entity.Account").isEqualTo("r");
        }
        assertThat(output.getOut()).contains("First run: kept the existing role 'admin' and created Auth 'admin'");
    }

    @Test
    void serversStartingTogetherCreateItOnce(CapturedOutput output) throws Exception {
        EventsConfig config = TestServers.config(Map.of());
        Path first = directory.resolve("first");
        Path second = directory.resolve("second");
        CompletableFuture<EventsServer> one = CompletableFuture.supplyAsync(() -> EventsServer.start(config, null, first));
        CompletableFuture<EventsServer> two = CompletableFuture.supplyAsync(() -> EventsServer.start(config, null, second));
        try (EventsServer a = one.get(); EventsServer b = two.get()) {
            assertThat(count(config, "Auth")).isEqualTo(1);
            assertThat(LOGGED_PASSWORD.matcher(output.getOut()).results().count()).as("printed once").isEqualTo(1);
            List<Path> files = List.of(first, second).stream().map(d -> d.resolve(InitialAdmin.PASSWORD_FILE))
                    .filter(Files::exists).toList();
            assertThat(files).hasSize(1);
            String password = Files.readString(files.get(0)).strip();
            assertThat(password).isEqualTo(loggedPassword(output.getOut()));
            TestServers.anonymous(b).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "admin", "password", password)).exchange().expectStatus().isOk();
        }
    }

    @Test
    void anEmbeddedDatabaseStartsInADirectoryHoldingOnlyAnEarlierPasswordFile() throws Exception {
        Path data = directory.resolve("postgres");
        Files.createDirectories(data);
        Files.writeString(data.resolve(InitialAdmin.PASSWORD_FILE), "from-an-external-database\n");
        EventsConfig config = new ConfigLoader().load(null, Map.of("EVENTS_SERVER_PORT", "0"));
        try (EventsServer server = EventsServer.start(config, null, data, "embedded-admin-password")) {
            TestServers.anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "admin", "password", "embedded-admin-password")).exchange()
                    .expectStatus().isOk();
        }
        assertThat(data.resolve("PG_VERSION")).exists();
        assertThat(Files.readString(data.resolve(InitialAdmin.PASSWORD_FILE))).isEqualTo("from-an-external-database\n");
    }

    private static String loggedPassword(String log) {
        Matcher matcher = LOGGED_PASSWORD.matcher(log);
        assertThat(matcher.find()).as("the start-up log shows the password").isTrue();
        return matcher.group(1);
    }

    private static long count(EventsConfig config, String table) {
        return (Long) TestSql.query(config.dbName(), "SELECT count(*) AS n FROM \"" + table + "\"").get(0).get("n");
    }
}
