package events.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read-replica keys (issue 14): defaults, file and environment forms, and each refusal. */
final class ReplicaConfigTests {

    @Test
    void noReplicasByDefault() {
        EventsConfig config = new ConfigLoader().load(null, Map.of());
        assertThat(config.dbReadUris()).isEmpty();
        assertThat(config.maxReplicaLagMs()).isEqualTo(5000);
        assertThat(config.readYourWritesMs()).isEqualTo(60000);
        assertThat(config.replicaProbeMs()).isEqualTo(500);
    }

    @Test
    void theFileTakesAListAndTheEnvironmentACommaSeparatedOne(@TempDir Path directory) throws IOException {
        Path file = Files.writeString(directory.resolve("config.json"), "{\"db_read_uris\": "
                + "[\"postgresql://r1:5432/events\"], \"max_replica_lag_ms\": 250, \"read_your_writes_ms\": 9000}");
        EventsConfig fromFile = new ConfigLoader().load(file, Map.of());
        assertThat(fromFile.dbReadUris()).containsExactly("postgresql://r1:5432/events");
        assertThat(fromFile.maxReplicaLagMs()).isEqualTo(250);
        assertThat(fromFile.readYourWritesMs()).isEqualTo(9000);
        EventsConfig fromEnvironment = new ConfigLoader().load(file, Map.of(
                "EVENTS_DB_READ_URIS", "postgresql://r2:5432/events, postgres://r3/events",
                "EVENTS_REPLICA_PROBE_MS", "100"));
        assertThat(fromEnvironment.dbReadUris()).containsExactly("postgresql://r2:5432/events", "postgres://r3/events");
        assertThat(fromEnvironment.replicaProbeMs()).isEqualTo(100);
        assertThat(new ConfigLoader().load(null, Map.of("EVENTS_DB_READ_URIS", "[\"postgresql://r4/x\"]")).dbReadUris())
                .containsExactly("postgresql://r4/x");
    }

    @Test
    void anEmptyVariableMeansNoReplicas() {
        assertThat(new ConfigLoader().load(null, Map.of("EVENTS_DB_READ_URIS", "")).dbReadUris()).isEmpty();
    }

    @Test
    void aReadUriThatIsNotPostgreSQLIsRefused() {
        assertThatThrownBy(() -> new ConfigLoader().load(null, Map.of("EVENTS_DB_READ_URIS", "mysql://r1/events")))
                .isInstanceOf(StartupException.class).hasMessageContaining("db_read_uris");
    }

    @Test
    void negativeLagsAndATooFrequentProbeAreRefused() {
        for (Map<String, String> env : new Map[] {Map.of("EVENTS_MAX_REPLICA_LAG_MS", "-1"),
                Map.of("EVENTS_READ_YOUR_WRITES_MS", "-5"), Map.of("EVENTS_REPLICA_PROBE_MS", "1")}) {
            assertThatThrownBy(() -> new ConfigLoader().load(null, env)).isInstanceOf(StartupException.class)
                    .hasMessageContaining("max_replica_lag_ms");
        }
    }
}
