package events.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Unit tests for {@link ConfigLoader}. */
final class ConfigLoaderTests {

    @TempDir
    Path directory;

    private final ConfigLoader loader = new ConfigLoader();

    @Test
    void everyKeyHasItsDocumentedDefault() {
        EventsConfig config = loader.load(null, Map.of());
        assertThat(config).isEqualTo(EventsConfig.defaults());
        assertThat(config.projectName()).isEqualTo("Events");
        assertThat(config.dbUri()).isEqualTo("embedded");
        assertThat(config.dbName()).isEqualTo("events");
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.serverPort()).isEqualTo(5500);
        assertThat(config.validation()).isEqualTo("none");
        assertThat(config.caseSensitive()).isFalse();
        assertThat(config.environment()).isEqualTo("development");
        assertThat(config.logLevel()).isEqualTo("info");
        assertThat(config.pool()).isEqualTo(new EventsConfig.PoolSettings(5, 20, 300, 2000, 60000));
        assertThat(config.corsOrigins()).containsExactly("http://localhost:4200");
        assertThat(config.session()).isEqualTo(new EventsConfig.SessionSettings(3600, 28800, true));
        assertThat(config.defaultCount()).isEqualTo("exact");
        assertThat(config.logFormat()).isEqualTo("text");
        assertThat(config.accessLog()).isFalse();
        assertThat(config.shutdownGraceSeconds()).isEqualTo(20);
        assertThat(config.management().port()).as("Actuator on the API's port").isNull();
    }

    @Test
    void operationsKeysComeFromTheFileOrTheEnvironment() throws Exception {
        Path file = directory.resolve("c.json");
        Files.writeString(file, "{\"log_format\":\"json\",\"access_log\":true,\"shutdown_grace_seconds\":5,"
                + "\"management\":{\"port\":9090}}");
        EventsConfig config = loader.load(file, Map.of());
        assertThat(config.jsonLogs()).isTrue();
        assertThat(config.accessLog()).isTrue();
        assertThat(config.shutdownGraceSeconds()).isEqualTo(5);
        assertThat(config.management().port()).isEqualTo(9090);
        EventsConfig fromEnvironment = loader.load(null, Map.of("EVENTS_LOG_FORMAT", "json",
                "EVENTS_ACCESS_LOG", "true", "EVENTS_SHUTDOWN_GRACE_SECONDS", "0", "EVENTS_MANAGEMENT_PORT", "9191"));
        assertThat(fromEnvironment.jsonLogs()).isTrue();
        assertThat(fromEnvironment.accessLog()).isTrue();
        assertThat(fromEnvironment.shutdownGraceSeconds()).isZero();
        assertThat(fromEnvironment.management().port()).isEqualTo(9191);
    }

    @Test
    void defaultCountComesFromTheFileOrTheEnvironment() throws Exception {
        Path file = directory.resolve("c.json");
        Files.writeString(file, "{\"default_count\":\"estimated\"}");
        assertThat(loader.load(file, Map.of()).defaultCount()).isEqualTo("estimated");
        assertThat(loader.load(file, Map.of("EVENTS_DEFAULT_COUNT", "none")).defaultCount()).isEqualTo("none");
    }

    @Test
    void fileValuesOverrideDefaultsAndNestedObjectsMerge() throws Exception {
        Path file = directory.resolve("c.json");
        Files.writeString(file, "{\"project_name\":\"Mine\",\"server_port\":6000,\"pool\":{\"max\":7},"
                + "\"unknown_key\":1}");
        EventsConfig config = loader.load(file, Map.of());
        assertThat(config.projectName()).isEqualTo("Mine");
        assertThat(config.serverPort()).isEqualTo(6000);
        assertThat(config.pool().max()).isEqualTo(7);
        assertThat(config.pool().min()).isEqualTo(5);
    }

    @Test
    void environmentOverridesTheFile() throws Exception {
        Path file = directory.resolve("c.json");
        Files.writeString(file, "{\"server_port\":6000,\"db_uri\":\"postgresql://a@b/c\"}");
        EventsConfig config = loader.load(file, Map.of("EVENTS_SERVER_PORT", "7000",
                "EVENTS_DB_URI", "postgresql://x@y/z", "EVENTS_CASE_SENSITIVE", "true", "EVENTS_POOL_MAX", "3",
                "EVENTS_CORS_ORIGINS", "http://a.test,http://b.test", "EVENTS_SESSION", "{\"ttl_seconds\": 60}"));
        assertThat(config.serverPort()).isEqualTo(7000);
        assertThat(config.dbUri()).isEqualTo("postgresql://x@y/z");
        assertThat(config.caseSensitive()).isTrue();
        assertThat(config.pool().max()).isEqualTo(3);
        assertThat(config.corsOrigins()).isEqualTo(List.of("http://a.test", "http://b.test"));
        assertThat(config.session().ttlSeconds()).isEqualTo(60);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"database\":\"mysql\"}|database must be 'postgresql'",
        "{\"validation\":\"some\"}|validation must be one of",
        "{\"environment\":\"staging\"}|environment must be one of",
        "{\"log_level\":\"loud\"}|log_level must be one of",
        "{\"default_count\":\"some\"}|default_count must be one of [estimated, exact, none], not 'some'",
        "{\"server_port\":70000}|server_port must be 0-65535",
        "{\"log_format\":\"xml\"}|log_format must be one of [json, text], not 'xml'",
        "{\"shutdown_grace_seconds\":-1}|shutdown_grace_seconds must be >= 0",
        "{\"management\":{\"port\":70000}}|management port must be 0-65535",
        "{\"management\":{\"port\":\"x\"}}|management.port",
        "{\"server_port\":\"x\"}|server_port",
        "{\"db_uri\":\"mysql://x\"}|db_uri must be 'embedded' or a postgresql:// URI",
        "{\"pool\":{\"max\":0}}|pool needs max >= 1",
        "[1,2]|must hold a JSON object",
        "{\"a\":|is not valid JSON"})
    void rejectsBadConfigurationWithOneLine(String json, String message) throws Exception {
        Path file = directory.resolve("bad.json");
        Files.writeString(file, json);
        assertThatThrownBy(() -> loader.load(file, Map.of()))
                .isInstanceOf(StartupException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void rejectsAnEnvironmentValueOfTheWrongType() {
        assertThatThrownBy(() -> loader.load(null, Map.of("EVENTS_SERVER_PORT", "high")))
                .isInstanceOf(StartupException.class).hasMessageContaining("EVENTS_SERVER_PORT");
    }

    @Test
    void databaseUriHidesItsPassword() {
        DatabaseUri uri = DatabaseUri.parse("postgresql://ann:p%40ss@db.example:6543/app?sslmode=require");
        assertThat(uri.user()).isEqualTo("ann");
        assertThat(uri.password()).isEqualTo("p@ss");
        assertThat(uri.port()).isEqualTo(6543);
        assertThat(uri.database()).isEqualTo("app");
        assertThat(uri.params()).containsEntry("sslmode", "require");
        assertThat(uri.toString()).doesNotContain("p@ss").contains("***");
        assertThat(DatabaseUri.parse("postgresql://localhost").port()).isEqualTo(5432);
    }
}
