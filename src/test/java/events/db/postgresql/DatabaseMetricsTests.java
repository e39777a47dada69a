package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Unit tests for {@link DatabaseMetrics}. */
final class DatabaseMetricsTests {

    /** Statements as the server writes them, and the kind each is counted as. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "SELECT id, data FROM \"User\" WHERE id = $1|SELECT",
        "WITH page AS MATERIALIZED (SELECT id, data FROM \"User\") SELECT * FROM page|SELECT",
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM \"User\"|SELECT",
        "WITH fk AS (SELECT 1), written AS (INSERT INTO \"User\" (id, data) SELECT $1, $2 FROM fk RETURNING id, data) SELECT 1|INSERT",
        "WITH fk AS (SELECT 1), written AS (UPDATE \"User\" AS t SET data = $1 FROM fk RETURNING t.id) SELECT 1|UPDATE",
        "DELETE FROM \"User\" WHERE id = $1 RETURNING id, data|DELETE",
        "WITH gone AS (DELETE FROM events_sessions s WHERE s.last_seen < now() RETURNING 1) SELECT count(*) FROM gone|DELETE",
        "SELECT data->>'updatedAt' FROM \"UPDATE\" WHERE data->>'INSERT' = $1|SELECT",
        "ROLLBACK|OTHER",
        "CREATE INDEX IF NOT EXISTS x ON \"User\" (id)|OTHER"})
    void countsEachStatementAsItsKind(String sql, DatabaseMetrics.Kind kind) {
        assertThat(DatabaseMetrics.Kind.of(sql)).isEqualTo(kind);
    }

    @ParameterizedTest
    @CsvSource({"SELECT,true,select,success", "STREAM,false,stream,error"})
    void recordsIntoTheBoundRegistryOnly(DatabaseMetrics.Kind kind, boolean success, String tag, String outcome) {
        DatabaseMetrics metrics = new DatabaseMetrics();
        metrics.statement(kind, success, 1_000_000); // not bound yet: nowhere to go, no failure
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        metrics.bindTo(registry);
        metrics.statement(kind, success, 2_000_000);
        var timer = registry.get(DatabaseMetrics.STATEMENTS).tag("kind", tag).tag("outcome", outcome).timer();
        assertThat(timer.count()).isEqualTo(1);
        assertThat(timer.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(2.0);
        assertThat(registry.get(DatabaseMetrics.ACQUIRE).tag("outcome", "timeout").timer().count()).isZero();
    }
}
