package events.support;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import events.config.DatabaseUri;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.Connection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Direct SQL on a test server's database, for checking what is stored or planting imperfect rows. */
public final class TestSql {

    private TestSql() {
    }

    /** Runs {@code sql} (with {@code $1}.. bound to {@code values}) and returns the rows as column maps. */
    public static List<Map<String, Object>> query(String database, String sql, Object... values) {
        return queryAt(TestDatabase.uri(), database, sql, values);
    }

    /** A driver configuration for {@code database} on the test PostgreSQL, to finish and build. */
    public static PostgresqlConnectionConfiguration.Builder connection(String database) {
        return connectionAt(TestDatabase.uri(), database);
    }

    /** As {@link #connection}, on the PostgreSQL at {@code serverUri} (a {@code postgresql://} URI without database). */
    public static PostgresqlConnectionConfiguration.Builder connectionAt(String serverUri, String database) {
        DatabaseUri uri = DatabaseUri.parse(serverUri);
        var builder = PostgresqlConnectionConfiguration.builder().host(uri.host()).port(uri.port())
                .username(uri.user()).database(database);
        if (uri.password() != null) {
            builder.password(uri.password());
        }
        return builder;
    }

    /** As {@link #query}, on the PostgreSQL at {@code serverUri} (a {@code postgresql://} URI without database). */
    public static List<Map<String, Object>> queryAt(String serverUri, String database, String sql, Object... values) {
        var builder = connectionAt(serverUri, database);
        return Flux.usingWhen(new PostgresqlConnectionFactory(builder.build()).create(), (Connection c) -> {
                    var statement = c.createStatement(sql);
                    for (int i = 0; i < values.length; i++) {
                        statement.bind(i, values[i]);
                    }
                    return Flux.from(statement.execute()).concatMap(result -> result.map((row, meta) -> {
                        Map<String, Object> columns = new LinkedHashMap<>();
                        for (var column : meta.getColumnMetadatas()) {
                            columns.put(column.getName(), row.get(column.getName()));
                        }
                        return columns;
                    }));
                }, c -> Mono.from(c.close()))
                .collectList()
                .block(Duration.ofSeconds(120));
    }
}
