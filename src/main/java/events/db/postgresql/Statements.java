package events.db.postgresql;

import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

import io.r2dbc.postgresql.api.PostgresTransactionDefinition;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.Wrapped;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.retry.Retry;

import events.db.AcquireBudget;
import events.logging.RequestMdc;

/**
 * Runs SQL over the pool: a connection per unit of work, released on completion, error and cancel
 * alike; transactions committed on completion and rolled back, then released, otherwise. Every
 * statement's result is read to its end even when its subscriber cancels ({@link #uncancellable}), so a
 * client that goes away at any moment leaves the connection's protocol in step.
 */
final class Statements {

    private static final Logger log = LoggerFactory.getLogger(Statements.class);

    /** A read-only snapshot: the page and its count see the same data. */
    static final TransactionDefinition SNAPSHOT =
            PostgresTransactionDefinition.from(IsolationLevel.REPEATABLE_READ).readOnly();
    static final TransactionDefinition READ_COMMITTED = PostgresTransactionDefinition.from(IsolationLevel.READ_COMMITTED);

    /** How long a commit or rollback may take before the connection is given up as broken. */
    private static final Duration END_OF_TRANSACTION_TIMEOUT = Duration.ofSeconds(10);

    /** The one cursor a streaming transaction declares. */
    private static final String CURSOR = "events_stream";

    private final ConnectionFactory connections;
    private final Duration acquireTimeout;
    private final int poolSize;
    private final DatabaseMetrics metrics;
    private final Context unitOfWorkContext;

    Statements(ConnectionFactory connections, Duration acquireTimeout, int poolSize) {
        this(connections, acquireTimeout, poolSize, new DatabaseMetrics());
    }

    Statements(ConnectionFactory connections, Duration acquireTimeout, int poolSize, DatabaseMetrics metrics) {
        this.connections = connections;
        this.acquireTimeout = acquireTimeout;
        this.poolSize = poolSize;
        this.metrics = metrics;
        this.unitOfWorkContext = Context.of(DatabaseMetrics.class, metrics,
                "reactor.onNextDropped.local", RELEASE_LATE_CONNECTION,
                "reactor.onErrorDropped.local", LATE_STATEMENT_FAILURE);
    }

    /** Work on one connection, outside an explicit transaction (each statement commits alone). */
    <T> Flux<T> withConnection(Function<Connection, Publisher<T>> work) {
        return Flux.usingWhen(acquire(), work, Connection::close).contextWrite(this::withMetrics);
    }

    /**
     * The static statement methods below find the meters in the Reactor context of the unit of work; the
     * acquire's time-out finds its hook for late connections there ({@link #RELEASE_LATE_CONNECTION}), and
     * statements whose caller left, theirs for a late failure ({@link #LATE_STATEMENT_FAILURE}).
     * One {@code putAll} of a context made once: each {@code put} builds a new context.
     */
    private Context withMetrics(Context context) {
        return context.putAll(unitOfWorkContext);
    }

    /**
     * A connection from the pool, within what is left of the request's {@link AcquireBudget} (without one,
     * start-up and background work, within the acquire time). A pooled connection found dead on acquire
     * (the database restarted while it was idle) is dropped by the pool's validation and the next one
     * tried at once, up to the pool's size, so the first request after a restart succeeds instead of
     * failing once per dead connection.
     *
     * <p>The one timer of an acquire is this one: the pools are built without {@code maxAcquireTime},
     * whose {@code timeout(Duration)} named itself by walking the operator chain and started a second
     * timer on every acquire.
     */
    private Mono<Connection> acquire() {
        return Mono.deferContextual(context -> {
            AcquireBudget budget = AcquireBudget.of(context);
            Duration limit = budget == null ? acquireTimeout : budget.startWaiting();
            long deadline = System.nanoTime() + limit.toNanos();
            // The timer sits right on the pool's answer (each retry gets what is left), so that a connection
            // handed over after it fired reaches it, and the hook in the unit of work's context
            // (RELEASE_LATE_CONNECTION), instead of a cancelled retry.
            Mono<Connection> connection = Mono.defer(() -> Mono.<Connection>from(connections.create())
                            .timeout(Mono.delay(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000)))))
                    .retryWhen(Retry.max(poolSize).filter(Statements::deadOnAcquire))
                    .onErrorMap(TimeoutException.class, e -> new R2dbcTimeoutException(
                            "No connection within the acquire time (" + limit.toMillis() + " ms)", e));
            return timed(budget == null ? connection : connection.doFinally(signal -> budget.stopWaiting()));
        });
    }

    /**
     * A connection the pool hands over just as the time-out fires reaches the time-out operator after it
     * gave up; Reactor then drops it through this hook, which gives it back to the pool (as the pool's own
     * time-out does). Other values dropped in a unit of work are left alone (Reactor's default only logs
     * them at debug).
     */
    private static final Consumer<Object> RELEASE_LATE_CONNECTION = dropped -> {
        if (dropped instanceof Connection late) {
            Mono.from(late.close()).subscribe(null, failure -> log.warn("Releasing a connection that came after "
                    + "its acquire time failed: {}", PostgreSQLCore.describe(failure)));
        }
    };

    /**
     * A statement whose caller left runs to its end ({@link #uncancellable}); if it then fails (its
     * connection closed under it: a pool disposed at shutdown, a database restarted), nobody is there to
     * hear it and Reactor drops the failure through this hook. A database or connection failure is a
     * debug line. Anything else is a defect thrown by an operator, and stays an ERROR, as Reactor's default.
     */
    private static final Consumer<Throwable> LATE_STATEMENT_FAILURE = failure -> {
        if (failure instanceof R2dbcException) {
            log.debug("A statement whose caller had left failed: {}", PostgreSQLCore.describe(failure));
        } else {
            log.error("Operator called default onErrorDropped", failure);
        }
    };

    /** Records how long the acquire took, and how it ended ({@link DatabaseMetrics#ACQUIRE}). */
    private Mono<Connection> timed(Mono<Connection> acquire) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return acquire
                    .doOnSuccess(c -> metrics.acquire(DatabaseMetrics.Acquire.SUCCESS, System.nanoTime() - start))
                    .doOnError(e -> metrics.acquire(e instanceof R2dbcTimeoutException || e instanceof TimeoutException
                            ? DatabaseMetrics.Acquire.TIMEOUT : DatabaseMetrics.Acquire.ERROR, System.nanoTime() - start));
        });
    }

    /** The pool's validation found a connection closed (not a time-out: those are not retried). */
    private static boolean deadOnAcquire(Throwable failure) {
        return failure instanceof R2dbcNonTransientResourceException;
    }

    /**
     * Work on one connection inside a transaction. One {@code usingWhen}, so that the end of the
     * transaction and the release of the connection happen in that order, whatever ends the work:
     * completion commits then releases; an error or a cancel (a client that went away) rolls back, then
     * releases. A connection whose commit or rollback fails or does not finish in time is in an unknown
     * state: it is closed, so the pool drops it instead of lending it to the next request.
     */
    <T> Flux<T> inTransaction(TransactionDefinition definition, Function<Connection, Publisher<T>> work) {
        return Flux.usingWhen(acquire(),
                connection -> uncancellable(Mono.from(connection.beginTransaction(definition))).thenMany(Flux.defer(() -> work.apply(connection))),
                connection -> Mono.from(connection.commitTransaction()).timeout(END_OF_TRANSACTION_TIMEOUT)
                        .onErrorResume(failure -> discard(connection).then(Mono.error(failure)))
                        .then(Mono.defer(() -> Mono.from(connection.close()))),
                (connection, failure) -> rollbackAndRelease(connection),
                Statements::rollbackAndRelease).contextWrite(this::withMetrics);
    }

    /**
     * A plain {@code ROLLBACK} statement, not {@code Connection.rollbackTransaction()}: the driver skips
     * the latter when it has not yet seen the transaction start, which is exactly the case of a request
     * cancelled while its {@code BEGIN} was in flight. Statements run in order on a connection, so this
     * one ends whatever the {@code BEGIN} started (and is a harmless warning when nothing did).
     */
    private static Mono<Void> rollbackAndRelease(Connection connection) {
        return update(connection, "ROLLBACK").then().timeout(END_OF_TRANSACTION_TIMEOUT)
                .onErrorResume(failure -> {
                    log.warn("Rollback failed ({}); closing the connection", PostgreSQLCore.describe(failure));
                    return discard(connection);
                })
                .then(Mono.defer(() -> Mono.from(connection.close())));
    }

    /**
     * Closes the physical connection under a pooled one: the pool's validation on release then finds it
     * closed and drops it.
     */
    private static Mono<Void> discard(Connection connection) {
        Connection physical = connection instanceof Wrapped<?> wrapped && wrapped.unwrap() instanceof Connection inner
                ? inner : connection;
        return Mono.from(physical.close()).timeout(END_OF_TRANSACTION_TIMEOUT).onErrorResume(e -> Mono.empty());
    }

    /** Runs a query to its end (see {@link #uncancellable}) and maps each row. */
    static <T> Flux<T> query(Connection connection, Sql sql, Function<Readable, T> mapper) {
        return rows(connection, sql, mapper).flatMapIterable(Function.identity());
    }

    /** Runs a query to its end (see {@link #uncancellable}); its rows, mapped, as one list. */
    static <T> Mono<List<T>> rows(Connection connection, Sql sql, Function<Readable, T> mapper) {
        return rows(connection, sql, mapper, sql.kind());
    }

    private static <T> Mono<List<T>> rows(Connection connection, Sql sql, Function<Readable, T> mapper,
                                          DatabaseMetrics.Kind kind) {
        return timed(kind, sql.text(), Mono.defer(() -> Flux.from(statement(connection, sql).execute())
                .concatMap(result -> result.map(mapper))
                .collectList()));
    }

    /**
     * Every row of {@code select} through a server-side cursor, {@code batchSize} rows per {@code FETCH},
     * the next {@code FETCH} sent only when the subscriber has consumed the previous batch: constant
     * memory, and a slow client slows the database down instead of filling the heap. Needs a
     * transaction (the cursor lives until its end). Each {@code FETCH} is read to its end, so a cancel
     * between or during batches leaves the protocol in step.
     */
    static <T> Flux<T> cursor(Connection connection, Sql select, int batchSize, Function<Readable, T> mapper) {
        Sql declare = select.prepend("DECLARE " + CURSOR + " NO SCROLL CURSOR FOR ");
        Sql fetch = new Sql().append("FETCH FORWARD " + batchSize + " FROM " + CURSOR);
        return rows(connection, declare, row -> Boolean.TRUE, DatabaseMetrics.Kind.STREAM)
                .thenMany(Mono.defer(() -> rows(connection, fetch, mapper, DatabaseMetrics.Kind.STREAM))
                        .repeat()
                        .takeUntil(batch -> batch.size() < batchSize))
                .concatMapIterable(Function.identity(), 1);
    }

    /** Runs a statement and returns the affected row count. */
    static Mono<Long> update(Connection connection, String sql) {
        return timed(DatabaseMetrics.Kind.of(sql), sql, Mono.defer(() -> Flux.from(connection.createStatement(sql).execute())
                .concatMap(result -> result.getRowsUpdated())
                .reduce(0L, Long::sum)));
    }

    /**
     * Runs a statement to its end ({@link #uncancellable}) and records its time and outcome in the
     * {@link DatabaseMetrics} of the unit of work, when there is one.
     */
    private static <T> Mono<T> timed(DatabaseMetrics.Kind kind, String text, Mono<T> statement) {
        return Mono.deferContextual(context -> {
            if (log.isDebugEnabled()) {
                // The text only: bound values may be secrets. With the request's id (RequestMdc).
                RequestMdc.run(context, () -> log.debug("SQL: {}", text));
            }
            DatabaseMetrics metrics = context.getOrDefault(DatabaseMetrics.class, null);
            if (metrics == null) {
                return uncancellable(statement);
            }
            return uncancellable(Mono.defer(() -> {
                long start = System.nanoTime();
                return statement
                        .doOnSuccess(result -> metrics.statement(kind, true, System.nanoTime() - start))
                        .doOnError(e -> metrics.statement(kind, false, System.nanoTime() - start));
            }));
        });
    }

    /**
     * Runs {@code work} to its end even when its subscriber cancels. The driver answers a cancel in the
     * middle of a result by leaving the rest of that result unread in its buffer, which wedges the
     * connection for every later statement (r2dbc-postgresql #661): a client that disconnects at the wrong
     * moment must not cost the pool a connection. Results here are bounded (pages, cursor batches), so
     * finishing them costs little; the transaction's rollback is queued behind them.
     */
    static <T> Mono<T> uncancellable(Mono<T> work) {
        return Mono.defer(() -> Mono.fromFuture(work.toFuture(), true));
    }

    private static Statement statement(Connection connection, Sql sql) {
        Statement statement = connection.createStatement(sql.text());
        List<Object> values = sql.values();
        for (int i = 0; i < values.size(); i++) {
            statement.bind(i, values.get(i));
        }
        return statement;
    }
}
