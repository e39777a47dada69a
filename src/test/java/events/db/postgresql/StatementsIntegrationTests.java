package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import events.db.AcquireBudget;
import events.support.TestSql;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.R2dbcTimeoutException;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.reactivestreams.Publisher;
import org.slf4j.LoggerFactory;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Integration tests for {@link Statements} on a real pool: the per-request acquire budget. */
final class StatementsIntegrationTests {

    private static final Duration ACQUIRE = Duration.ofMillis(1000);
    private ConnectionPool pool;
    private Statements statements;

    @BeforeEach
    void pool() {
        var builder = TestSql.connection("postgres");
        pool = new ConnectionPool(ConnectionPoolConfiguration.builder(new PostgresqlConnectionFactory(builder.build()))
                .initialSize(1).maxSize(1).acquireRetry(0).build()); // no maxAcquireTime, as the server's pools

        statements = new Statements(pool, ACQUIRE, 1);
    }

    @AfterEach
    void close() {
        pool.dispose();
    }

    /**
     * A request that acquires twice waits at most the acquire time in all: 700 ms for the first
     * connection leave 300 ms for the second, not another full second.
     */
    @Test
    void twoAcquiresOfOneRequestShareOneBudget() {
        Connection held = Mono.from(pool.create()).block(ACQUIRE);
        AtomicReference<Connection> heldAgain = new AtomicReference<>();
        Mono.delay(Duration.ofMillis(700)).then(Mono.from(held.close())).subscribe();
        Sql select = new Sql().append("SELECT 1");
        Mono<Integer> request = statements.withConnection(c -> Statements.query(c, select, row -> 1)).then()
                .then(Mono.from(pool.create()).doOnNext(heldAgain::set)) // someone else takes it meanwhile
                .then(statements.withConnection(c -> Statements.query(c, select, row -> 1)).next())
                .contextWrite(context -> context.put(AcquireBudget.class, new AcquireBudget(ACQUIRE)));
        long start = System.nanoTime();
        StepVerifier.create(request)
                .expectError(R2dbcTimeoutException.class)
                .verify(Duration.ofSeconds(5));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(ACQUIRE.plusMillis(400));
        Mono.from(heldAgain.get().close()).block(ACQUIRE);
    }

    /** Without a request's budget (start-up, background work) each acquire has the pool's own time. */
    @Test
    void withoutABudgetTheAcquireTimeApplies() {
        Connection held = Mono.from(pool.create()).block(ACQUIRE);
        long start = System.nanoTime();
        StepVerifier.create(statements.withConnection(c -> Statements.query(c, new Sql().append("SELECT 1"), r -> 1)))
                .expectError(R2dbcTimeoutException.class)
                .verify(Duration.ofSeconds(5));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(ACQUIRE.minusMillis(50));
        Mono.from(held.close()).block(ACQUIRE);
    }

    /**
     * A connection the pool hands over after the acquire gave up is released, not leaked: here a source
     * that ignores the cancel delivers a real pooled connection 300 ms after a 100 ms time-out.
     */
    @Test
    void aConnectionThatComesAfterTheTimeOutGoesBackToThePool() {
        AtomicReference<Connection> delivered = new AtomicReference<>();
        Publisher<Connection> lateConnection = subscriber -> {
            subscriber.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                    // ignored on purpose: the connection is delivered anyway
                }
            });
            Mono.delay(Duration.ofMillis(300)).then(Mono.from(pool.create()))
                    .subscribe(connection -> {
                        subscriber.onNext(connection);
                        subscriber.onComplete();
                        delivered.set(connection);
                    });
        };
        Statements late = new Statements(new ConnectionFactory() {
            @Override
            public Publisher<? extends Connection> create() {
                return lateConnection;
            }

            @Override
            public ConnectionFactoryMetadata getMetadata() {
                return pool.getMetadata();
            }
        }, Duration.ofMillis(100), 1);
        StepVerifier.create(late.withConnection(c -> Statements.query(c, new Sql().append("SELECT 1"), r -> 1)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(R2dbcTimeoutException.class)
                        .hasMessageContaining("100 ms"))
                .verify(Duration.ofSeconds(5));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while ((delivered.get() == null || pool.getMetrics().orElseThrow().acquiredSize() != 0)
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(delivered.get()).as("the late connection was delivered").isNotNull();
        assertThat(pool.getMetrics().orElseThrow().acquiredSize()).as("connections still out").isZero();
        assertThat(pool.getMetrics().orElseThrow().idleSize()).isEqualTo(1);
        StepVerifier.create(statements.withConnection(c -> Statements.query(c, new Sql().append("SELECT 1"), r -> 1)))
                .expectNext(1).verifyComplete();
    }

    /**
     * A statement runs to its end even when its caller cancels ({@link Statements#uncancellable}); if the
     * connection then closes under it (a replica's probe at shutdown, a client gone while the database
     * restarts), the failure reaches nobody. That is a debug line, not an ERROR with a stack trace.
     */
    @Test
    void aStatementWhoseCallerLeftAndWhoseConnectionThenClosedIsNoError() throws InterruptedException {
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        Logger statementsLog = (Logger) LoggerFactory.getLogger(Statements.class);
        Level levelBefore = statementsLog.getLevel();
        statementsLog.setLevel(Level.DEBUG);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        try {
            Disposable caller = statements.withConnection(c -> Statements.query(c, new Sql().append("SELECT pg_sleep(2)"),
                    r -> 1)).subscribe();
            Thread.sleep(300); // the statement is running
            caller.dispose(); // the caller leaves; the statement runs on, its connection goes back to the pool
            pool.dispose(); // which closes the connection under it
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (!pool.isDisposed() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(500); // the statement's failure arrives after the close
        } finally {
            root.detachAppender(logged);
            statementsLog.setLevel(levelBefore);
        }
        synchronized (logged) {
            assertThat(logged.list).as("the failure of a statement nobody waits for")
                    .noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.ERROR))
                    .anyMatch(event -> event.getLevel() == Level.DEBUG
                            && event.getFormattedMessage().startsWith("A statement whose caller had left failed"));
        }
    }
}
