package events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import events.support.TestDatabase;
import events.support.TestServers;
import events.support.TestSql;

/**
 * The first login (api.md 9.3): {@code events-server create <Entity> <json>} writes roles and principals
 * on a fresh database without a session, through the API's validation and hashing; then they log in.
 */
final class FirstLoginIntegrationTests {

    private static final String DATABASE = "events_it_firstlogin_" + ProcessHandle.current().pid();

    @Test
    void aScriptCreatesTheFirstRoleAndPrincipalWhoThenLogIn() throws Exception {
        Result role = create("Role", "{\"id\": \"admin\", \"role\": \"Administrator\", \"permissions\": {\"*\": \"s\"}}");
        assertThat(role.exitCode()).as(role.stderr()).isZero();
        assertThat(role.stdout()).contains("\"id\":\"admin\"").contains("\"role\":\"Administrator\"");
        Result principal = create("Auth", "{\"name\": \"root\", \"password\": \"first-password\", \"roleId\": \"admin\"}");
        assertThat(principal.exitCode()).as(principal.stderr()).isZero();
        assertThat(principal.stdout()).contains("\"name\":\"root\"").doesNotContain("first-password")
                .doesNotContain("password");
        String stored = (String) TestSql.query(DATABASE, "SELECT data->>'password' AS p FROM \"Auth\"").get(0).get("p");
        assertThat(stored).startsWith("$2");

        Result invalid = create("Auth", "{\"name\": \"x\", \"password\": \"short\", \"roleId\": \"nobody\"}");
        assertThat(invalid.exitCode()).isEqualTo(1);
        assertThat(invalid.stderr()).contains("validation_failed: name:").contains("password:")
                .doesNotContain("short\"");
        Result unknown = create("Nope", "{}");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr()).contains("Unknown entity 'Nope'");

        try (EventsServer server = TestServers.start(Map.of("EVENTS_DB_NAME", DATABASE))) {
            TestServers.anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("login", "root", "password", "first-password")).exchange()
                    .expectStatus().isOk()
                    .expectBody().jsonPath("$.data.permissions.entity.Auth").isEqualTo("cruds");
        }
    }

    private static Result create(String entity, String json) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dlogging.level.root=OFF", Application.class.getName(),
                "create", entity, json));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(key -> key.startsWith("EVENTS_"));
        builder.environment().put("EVENTS_DB_URI", TestDatabase.uri());
        builder.environment().put("EVENTS_DB_NAME", DATABASE);
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
