package events.db;

import java.time.Duration;
import java.util.function.LongSupplier;

import reactor.util.context.ContextView;

/**
 * The time one request may spend waiting for database connections, all its acquires together
 * ({@code pool.acquire_timeout_ms}). A request that checks its session and then runs its statement
 * acquires twice; without a shared budget a busy pool would make it wait twice as long before its 503.
 * Only wall time during which at least one of the request's acquires waits is spent, so acquires made
 * in parallel (one query per referenced entity) are not counted twice. Carried in the Reactor context.
 */
public final class AcquireBudget {

    private final long totalNanos;
    private final LongSupplier clock;
    private long spentNanos;
    private int waiting;
    private long waitingSince;

    public AcquireBudget(Duration total) {
        this(total, System::nanoTime);
    }

    /** With a nanosecond clock of the caller's (tests). */
    AcquireBudget(Duration total, LongSupplier clock) {
        this.totalNanos = total.toNanos();
        this.clock = clock;
    }

    /** An acquire starts waiting; returns what is left of the budget for it (never negative). */
    public synchronized Duration startWaiting() {
        long now = clock.getAsLong();
        if (waiting++ == 0) {
            waitingSince = now;
        }
        return Duration.ofNanos(Math.max(0, totalNanos - spentNanos - (now - waitingSince)));
    }

    /** An acquire stopped waiting (it got its connection, failed or was cancelled). */
    public synchronized void stopWaiting() {
        if (waiting > 0 && --waiting == 0) {
            spentNanos += clock.getAsLong() - waitingSince;
        }
    }

    /** The request's budget, or null outside a request. */
    public static AcquireBudget of(ContextView context) {
        return context.getOrDefault(AcquireBudget.class, null);
    }
}
