package events.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** Unit tests for {@link AcquireBudget}, on a clock the test moves. */
final class AcquireBudgetTests {

    private final AtomicLong now = new AtomicLong();
    private final AcquireBudget budget = new AcquireBudget(Duration.ofMillis(1000), now::get);

    @Test
    void waitsInTurnAddUp() {
        assertThat(budget.startWaiting()).isEqualTo(Duration.ofMillis(1000));
        advance(700);
        budget.stopWaiting();
        advance(5000); // running the statement is not waiting
        assertThat(budget.startWaiting()).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void parallelWaitsCountOnce() {
        budget.startWaiting();
        advance(100);
        assertThat(budget.startWaiting()).isEqualTo(Duration.ofMillis(900));
        advance(200);
        budget.stopWaiting();
        budget.stopWaiting();
        assertThat(budget.startWaiting()).isEqualTo(Duration.ofMillis(700));
    }

    @Test
    void anExhaustedBudgetLeavesNothing() {
        budget.startWaiting();
        advance(1500);
        budget.stopWaiting();
        assertThat(budget.startWaiting()).isZero();
    }

    private void advance(long millis) {
        now.addAndGet(Duration.ofMillis(millis).toNanos());
    }
}
