package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import events.error.ApiError;
import events.error.ApiException;
import events.schema.SchemaLoader;
import events.support.TestSql;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import reactor.test.StepVerifier;

/** Integration tests for {@link PostgreSQLErrors} on errors PostgreSQL really raises. */
final class PostgreSQLErrorsIntegrationTests {

    /** A deadlock (40P01) or serialization failure (40001) rolled the transaction back: 503, retry. */
    @ParameterizedTest
    @ValueSource(strings = {"40P01", "40001"})
    void aTransactionPostgreSQLRolledBackIsA503(String state) {
        var builder = TestSql.connection("postgres");
        ConnectionPool pool = new ConnectionPool(ConnectionPoolConfiguration.builder(
                new PostgresqlConnectionFactory(builder.build())).initialSize(1).maxSize(1).build());
        try {
            var schema = new SchemaLoader().load("entities:\n  Thing:\n    fields:\n      name: { type: String }\n", null);
            PostgreSQLErrors errors = new PostgreSQLErrors(new PostgreSQLIndexes(schema,
                    new FieldExpressions(false, schema.textSearchConfig())));
            Statements statements = new Statements(pool, Duration.ofSeconds(5), 1);
            StepVerifier.create(statements.withConnection(c -> Statements.update(c,
                            "DO $$BEGIN RAISE EXCEPTION 'crossed' USING ERRCODE = '" + state + "'; END$$"))
                            .onErrorMap(errors::translate))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(ApiException.class);
                        ApiError error = ((ApiException) e).error();
                        assertThat(error.status()).isEqualTo(503);
                        assertThat(error.entries().get(0).message()).isEqualTo("A concurrent write got in the way; retry");
                    })
                    .verify(Duration.ofSeconds(10));
        } finally {
            pool.dispose();
        }
    }
}
