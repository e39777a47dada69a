package events.db.postgresql;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The database layer's meters (api.md 15): every statement timed by kind and outcome, and the wait for a
 * pool connection. The pool's own gauges (size, acquired, idle, pending) are Spring Boot's
 * {@code r2dbc.pool.*}. A {@link MeterBinder}: Spring Boot binds it to its registry once the
 * application starts; until then (the migration at start-up) nothing is recorded.
 */
public final class DatabaseMetrics implements MeterBinder {

    /** Timer of statements, tagged {@code kind} and {@code outcome} ({@code success}, {@code error}). */
    public static final String STATEMENTS = "events.db.statements";
    /** Timer of connection acquires, tagged {@code outcome} ({@code success}, {@code timeout}, {@code error}). */
    public static final String ACQUIRE = "events.db.pool.acquire";

    /** What a statement does, from its text; {@code stream} is a cursor's {@code DECLARE} or {@code FETCH}. */
    enum Kind {
        SELECT, INSERT, UPDATE, DELETE, STREAM, OTHER;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The kind of a statement. A write is known by its data-modifying keyword wherever it stands
         * ({@code WITH fk AS (...), written AS (INSERT ...)}); values never appear in the text and field
         * names only inside quotes, so a keyword followed by a space is the statement's own.
         */
        static Kind of(String sql) {
            if (sql.contains("INSERT INTO")) {
                return INSERT;
            }
            if (sql.contains("UPDATE ")) {
                return UPDATE;
            }
            if (sql.contains("DELETE FROM")) {
                return DELETE;
            }
            if (sql.startsWith("SELECT") || sql.startsWith("WITH") || sql.startsWith("EXPLAIN")) {
                return SELECT;
            }
            return OTHER;
        }
    }

    enum Acquire { SUCCESS, TIMEOUT, ERROR }

    private volatile @Nullable Meters meters;

    @Override
    public void bindTo(MeterRegistry registry) {
        Map<Kind, Timer> succeeded = new EnumMap<>(Kind.class);
        Map<Kind, Timer> failed = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            succeeded.put(kind, statementTimer(registry, kind, "success"));
            failed.put(kind, statementTimer(registry, kind, "error"));
        }
        Map<Acquire, Timer> acquires = new EnumMap<>(Acquire.class);
        for (Acquire outcome : Acquire.values()) {
            acquires.put(outcome, Timer.builder(ACQUIRE)
                    .description("Time to get a connection from the pool")
                    .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                    .register(registry));
        }
        this.meters = new Meters(succeeded, failed, acquires);
    }

    private static Timer statementTimer(MeterRegistry registry, Kind kind, String outcome) {
        return Timer.builder(STATEMENTS)
                .description("SQL statements, from sending to the last row read")
                .tag("kind", kind.tag())
                .tag("outcome", outcome)
                .register(registry);
    }

    void statement(Kind kind, boolean success, long nanos) {
        Meters current = meters;
        if (current != null) {
            (success ? current.succeeded : current.failed).get(kind).record(Duration.ofNanos(nanos));
        }
    }

    void acquire(Acquire outcome, long nanos) {
        Meters current = meters;
        if (current != null) {
            current.acquires.get(outcome).record(Duration.ofNanos(nanos));
        }
    }

    private record Meters(Map<Kind, Timer> succeeded, Map<Kind, Timer> failed, Map<Acquire, Timer> acquires) {
    }
}
