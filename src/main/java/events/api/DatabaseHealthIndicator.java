package events.api;

import java.time.Duration;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;

import events.db.DocumentStore;
import events.error.ApiException;
import reactor.core.publisher.Mono;

/**
 * Readiness of the database path (api.md 10): a statement through the same pool that requests use,
 * with a deadline. A pool whose connections are all taken or wedged makes this DOWN (and the
 * orchestrator stops sending traffic) instead of leaving the probe hanging, which Boot's own R2DBC
 * check would do on a connection that never answers.
 */
final class DatabaseHealthIndicator implements ReactiveHealthIndicator {

    private final DocumentStore store;
    private final Duration deadline;

    DatabaseHealthIndicator(DocumentStore store, Duration acquireTimeout) {
        this.store = store;
        this.deadline = acquireTimeout.plusSeconds(1);
    }

    @Override
    public Mono<Health> health() {
        return store.ping()
                .timeout(deadline)
                .then(Mono.fromSupplier(() -> Health.up().withDetail("database", "postgresql").build()))
                .onErrorResume(e -> Mono.just(Health.down()
                        .withDetail("reason", e instanceof ApiException api ? api.error().entries().get(0).message()
                                : "The database did not answer within " + deadline.toMillis() + " ms")
                        .build()));
    }
}
