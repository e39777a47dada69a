package events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up mistakes end the real process with one line naming the problem and exit code 2
 * (api.md 1.1, 2), no stack trace.
 */
final class StartupIntegrationTests {

    @TempDir
    Path directory;

    @Test
    void unreadableConfigFile() throws Exception {
        Result result = run(directory.resolve("missing.json").toString());
        assertOneLineFailure(result, "Cannot read configuration file");
    }

    @Test
    void configFileWithBadJson() throws Exception {
        Result result = run(write("bad.json", "{ \"db_uri\": "));
        assertOneLineFailure(result, "is not valid JSON");
    }

    @Test
    void unknownDatabaseKind() throws Exception {
        Result result = run(write("mysql.json", "{ \"database\": \"mysql\" }"));
        assertOneLineFailure(result, "database must be 'postgresql'");
    }

    @Test
    void wrongTypeForAKey() throws Exception {
        Result result = run(write("port.json", "{ \"server_port\": \"high\" }"));
        assertOneLineFailure(result, "server_port");
    }

    @Test
    void schemaWithAnUnknownType() throws Exception {
        String schema = write("schema.yaml", "entities:\n  Thing:\n    fields:\n      size: { type: Huge }\n");
        Result result = run(write("schema.json", "{ \"schema\": \"" + schema + "\" }"));
        assertOneLineFailure(result, "entity Thing field size: unknown type 'Huge'");
    }

    @Test
    void unreachableDatabase() throws Exception {
        Result result = run(write("down.json", "{ \"db_uri\": \"postgresql://events:secret-pw@127.0.0.1:1/events\","
                + " \"pool\": { \"acquire_timeout_ms\": 500 } }"));
        assertOneLineFailure(result, "Cannot connect to the database");
        assertThat(result.stderr()).doesNotContain("secret-pw");
    }

    private static void assertOneLineFailure(Result result, String expected) {
        assertThat(result.exitCode()).as(result.stderr()).isEqualTo(2);
        List<String> lines = result.stderr().lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).as("stderr: " + result.stderr()).hasSize(1);
        assertThat(lines.get(0)).startsWith("events-server: ").contains(expected);
        assertThat(result.stderr()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    private String write(String name, String content) throws IOException {
        Path file = directory.resolve(name);
        Files.writeString(file, content);
        return file.toString();
    }

    /** Runs {@code events.Application} in a fresh JVM with the test class path. */
    private Result run(String configPath) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("-Dlogging.level.root=OFF");
        command.add(Application.class.getName());
        command.add(configPath);
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().keySet().removeIf(key -> key.startsWith("EVENTS_"));
        Process process = builder.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), stderr);
    }

    private record Result(int exitCode, String stderr) {
    }
}
