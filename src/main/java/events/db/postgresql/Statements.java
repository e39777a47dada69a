package events.db.postgresql;

import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import java.util.List;
import java.util.function.Function;

import io.r2dbc.postgresql.api.PostgresTransactionDefinition;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs SQL over the pool: a connection per unit of work, released on completion, error and cancel
 * alike; transactions committed on completion and rolled back otherwise.
 *
 * <p>Callers read results to completion ({@code singleOrEmpty}, {@code collectList}) rather than
 * cancelling after the first row ({@code next}): a cancel races the release of the connection with
 * the protocol messages still in flight.
 */
final class Statements {

    private static final Logger log = LoggerFactory.getLogger(Statements.class);

    /** A read-only snapshot: the page and its count see the same data. */
    static final TransactionDefinition SNAPSHOT =
            PostgresTransactionDefinition.from(IsolationLevel.REPEATABLE_READ).readOnly();
    static final TransactionDefinition READ_COMMITTED = PostgresTransactionDefinition.from(IsolationLevel.READ_COMMITTED);

    private final ConnectionFactory connections;

    Statements(ConnectionFactory connections) {
        this.connections = connections;
    }

    /** Work on one connection, outside an explicit transaction (each statement commits alone). */
    <T> Flux<T> withConnection(Function<Connection, Publisher<T>> work) {
        return Flux.usingWhen(connections.create(), work, Connection::close);
    }

    /** Work on one connection inside a transaction. */
    <T> Flux<T> inTransaction(TransactionDefinition definition, Function<Connection, Publisher<T>> work) {
        return withConnection(connection -> Flux.usingWhen(
                Mono.from(connection.beginTransaction(definition)).thenReturn(connection),
                work,
                Connection::commitTransaction,
                (c, error) -> c.rollbackTransaction(),
                Connection::rollbackTransaction));
    }

    /** Runs a query and maps each row. */
    static <T> Flux<T> query(Connection connection, Sql sql, Function<Readable, T> mapper) {
        return Flux.from(statement(connection, sql).execute()).concatMap(result -> result.map(mapper));
    }

    /** Runs a query through a cursor, {@code fetchSize} rows per round trip, as demand allows. */
    static <T> Flux<T> query(Connection connection, Sql sql, int fetchSize, Function<Readable, T> mapper) {
        return Flux.from(statement(connection, sql).fetchSize(fetchSize).execute())
                .concatMap(result -> result.map(mapper));
    }

    /** Runs a statement and returns the affected row count. */
    static Mono<Long> update(Connection connection, String sql) {
        return Flux.from(connection.createStatement(sql).execute())
                .concatMap(result -> result.getRowsUpdated())
                .reduce(0L, Long::sum);
    }

    private static Statement statement(Connection connection, Sql sql) {
        if (log.isDebugEnabled()) {
            log.debug("SQL: {}", sql.text()); // the text only: bound values may be secrets
        }
        Statement statement = connection.createStatement(sql.text());
        List<Object> values = sql.values();
        for (int i = 0; i < values.size(); i++) {
            statement.bind(i, values.get(i));
        }
        return statement;
    }
}
