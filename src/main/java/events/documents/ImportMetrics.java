package events.documents;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

import events.schema.Entity;
import events.schema.Schema;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Import progress (api.md 15), by entity; the {@code entity} tag is always a name of the schema, never
 * input. In Prometheus:
 * <ul>
 * <li>{@code events_imports_active{entity}}: imports running now;</li>
 * <li>{@code events_import_lines_received_total{entity}}: lines read, counted batch by batch as each is
 * written (their live rate is an import's speed, in either mode);</li>
 * <li>{@code events_import_lines_total{entity,outcome}}: what became of them: {@code stored} (committed:
 * in skip mode batch by batch, in atomic mode when its transaction commits), {@code failed} (reported bad
 * lines, as they are found), {@code rolled_back} (good lines of an atomic import that stored nothing,
 * failed or interrupted). Once no import runs, the three outcomes add up to the lines received.</li>
 * </ul>
 * A {@link MeterBinder}: Spring Boot binds it to its registry when the server starts; unbound (the
 * {@code import} command), it counts nothing.
 */
public final class ImportMetrics implements MeterBinder {

    /** Gauge of running imports, tagged {@code entity}. */
    public static final String ACTIVE = "events.imports.active";
    /** Counter of lines read, tagged {@code entity}. */
    public static final String RECEIVED = "events.import.lines.received";
    /** Counter of lines by what became of them, tagged {@code entity} and {@code outcome}. */
    public static final String LINES = "events.import.lines";

    /** What became of an import's line. */
    enum Outcome {
        STORED, FAILED, ROLLED_BACK;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Map<String, AtomicInteger> active = new HashMap<>();
    private volatile @Nullable Map<String, Meters> meters;

    public ImportMetrics(Schema schema) {
        for (Entity entity : schema.entities()) {
            active.put(entity.name(), new AtomicInteger());
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Map<String, Meters> bound = new HashMap<>();
        active.forEach((entity, running) -> {
            Gauge.builder(ACTIVE, running, AtomicInteger::get)
                    .description("Imports running now")
                    .tag("entity", entity)
                    .register(registry);
            Map<Outcome, Counter> outcomes = new HashMap<>();
            for (Outcome outcome : Outcome.values()) {
                outcomes.put(outcome, Counter.builder(LINES)
                        .description("Import lines by outcome: stored, failed, or rolled back with an atomic import")
                        .tag("entity", entity)
                        .tag("outcome", outcome.tag())
                        .register(registry));
            }
            bound.put(entity, new Meters(Counter.builder(RECEIVED)
                    .description("Import lines read, counted as their batch is written")
                    .tag("entity", entity)
                    .register(registry), outcomes));
        });
        this.meters = bound;
    }

    void started(Entity entity) {
        running(entity).incrementAndGet();
    }

    void ended(Entity entity) {
        running(entity).decrementAndGet();
    }

    void received(Entity entity, long lines) {
        Meters current = meters(entity);
        if (current != null && lines > 0) {
            current.received().increment(lines);
        }
    }

    void lines(Entity entity, Outcome outcome, long lines) {
        Meters current = meters(entity);
        if (current != null && lines > 0) {
            current.outcomes().get(outcome).increment(lines);
        }
    }

    private AtomicInteger running(Entity entity) {
        AtomicInteger running = active.get(entity.name());
        if (running == null) {
            throw new IllegalArgumentException("entity " + entity.name() + " is not in the schema");
        }
        return running;
    }

    private @Nullable Meters meters(Entity entity) {
        Map<String, Meters> current = meters;
        return current == null ? null : current.get(entity.name());
    }

    private record Meters(Counter received, Map<Outcome, Counter> outcomes) {
    }
}
