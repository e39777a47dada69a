package events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.MediaType;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.support.TestServers;

/** {@code db_uri: embedded} (the default): a real PostgreSQL in-process whose data survives a restart. */
final class EmbeddedDatabaseIntegrationTests {

    @TempDir
    Path directory;

    @Test
    void documentsSurviveARestartOfTheServer() {
        EventsConfig config = new ConfigLoader().load(null, Map.of("EVENTS_SERVER_PORT", "0"));
        assertThat(config.embedded()).isTrue();
        Path data = directory.resolve("postgres");
        try (EventsServer server = EventsServer.start(config, null, data)) {
            TestServers.client(server).post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("name", "Persistent Corp")).exchange().expectStatus().isCreated();
            TestServers.client(server).get().uri("/api/db/report").exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$.database").isEqualTo("postgresql")
                    .jsonPath("$.report.entities.Account").isEqualTo(1);
        }
        assertThat(data.resolve("PG_VERSION")).exists();
        try (EventsServer server = EventsServer.start(config, null, data)) {
            TestServers.client(server).get().uri("/api/Account").exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$.pagination.total").isEqualTo(1)
                    .jsonPath("$.data[0].name").isEqualTo("Persistent Corp");
        }
    }
}
