package events.db;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import reactor.util.context.ContextView;

/**
 * The time one request may spend waiting for database connections, all its acquires together
 * ({@code pool.acquire_timeout_ms}). A request that checks its session and then runs its statement
 * acquires twice; without a shared budget a busy pool would make it wait twice as long before its 503.
 * Carried in the Reactor context of the request.
 */
public final class AcquireBudget {

    private final AtomicLong remainingNanos;

    public AcquireBudget(Duration total) {
        this.remainingNanos = new AtomicLong(total.toNanos());
    }

    /** What is left of the budget (never negative). */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, remainingNanos.get()));
    }

    /** Records time spent waiting. */
    public void spend(Duration waited) {
        remainingNanos.addAndGet(-waited.toNanos());
    }

    /** The request's budget, or null outside a request. */
    public static AcquireBudget of(ContextView context) {
        return context.getOrDefault(AcquireBudget.class, null);
    }
}
