package io.r2dbc.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;

import events.support.TestSql;
import io.r2dbc.spi.Connection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The server's copy of the driver's SQL parser ({@link PostgresqlSqlParser}): it is the class the driver
 * loads, it was copied from the driver version on the class path, and its cache changes nothing but the
 * work done.
 */
final class DriverParserCopyTests {

    /** An upgrade of r2dbc-postgresql must re-copy the parser: the copy would otherwise hide the new one. */
    @Test
    void theCopyIsOfTheDriverVersionOnTheClassPath() throws IOException, URISyntaxException {
        Path driverJar = Path.of(PostgresqlConnectionFactory.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI());
        try (JarFile jar = new JarFile(driverJar.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Implementation-Version"))
                    .as("r2dbc-postgresql changed version: re-copy PostgresqlSqlParser from its sources")
                    .isEqualTo(PostgresqlSqlParser.COPIED_FROM);
            assertThat(jar.getEntry("io/r2dbc/postgresql/PostgresqlSqlParser.class")).isNotNull();
        }
        assertThat(PostgresqlSqlParser.class.getProtectionDomain().getCodeSource().getLocation())
                .as("the server's copy, not the driver's class, is loaded")
                .isNotEqualTo(PostgresqlConnectionFactory.class.getProtectionDomain().getCodeSource().getLocation());
    }

    @Test
    void aTextParsedTwiceIsParsedOnce() {
        String sql = "SELECT $1::int + $2::int AS sum -- " + System.nanoTime();
        ParsedSql first = PostgresqlSqlParser.parse(sql);
        assertThat(PostgresqlSqlParser.parse(new String(sql.toCharArray()))).isSameAs(first);
        assertThat(first.getParameterCount()).isEqualTo(2);
        assertThat(first.getStatementCount()).isEqualTo(1);
        assertThat(first.getSql()).isEqualTo(sql);
    }

    /** What the driver reads from a parse (counts, RETURNING, DML) is what the original parse gives. */
    @Test
    void cachedParsesAnswerAsTheOriginalDoes() {
        String[] texts = {
                "SELECT 1", "SELECT 1; SELECT 2", "INSERT INTO \"T\" (id) VALUES ($1) RETURNING id",
                "UPDATE t SET x = '$2;' WHERE id = $1", "DELETE FROM t WHERE id = ANY($1)",
                "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END", "SELECT $tag$ $1 ; $tag$, $1",
                "/* a; $2 */ SELECT $1 -- ; $3\n", "WITH s AS (SELECT 1) SELECT * FROM s WHERE a = $1 AND b = $1",
        };
        for (String text : texts) {
            ParsedSql parsed = PostgresqlSqlParser.parse(text);
            ParsedSql again = PostgresqlSqlParser.parse(text);
            assertThat(again).isSameAs(parsed);
            assertThat(again.getStatementCount()).isEqualTo(statements(text));
            assertThat(again.getParameterCount()).isEqualTo(parameters(text));
        }
        assertThat(PostgresqlSqlParser.parse(texts[2]).hasDefaultTokenValue("RETURNING")).isTrue();
        assertThat(PostgresqlSqlParser.parse(texts[3]).hasDefaultTokenValue("DELETE", "INSERT", "UPDATE")).isTrue();
        assertThat(PostgresqlSqlParser.parse(texts[0]).hasDefaultTokenValue("DELETE", "INSERT", "UPDATE")).isFalse();
    }

    private static int statements(String text) {
        return switch (text) {
            case "SELECT 1; SELECT 2" -> 2;
            default -> 1;
        };
    }

    /** Placeholders in strings, comments and dollar quotes are no parameters; a repeated one counts once. */
    private static int parameters(String text) {
        return switch (text) {
            case "SELECT 1", "SELECT 1; SELECT 2", "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END" -> 0;
            default -> 1;
        };
    }

    @Test
    void malformedTextsStillFailAndAreNotKept() {
        String unclosed = "SELECT 'no end " + System.nanoTime();
        int before = PostgresqlSqlParser.cached();
        assertThatThrownBy(() -> PostgresqlSqlParser.parse(unclosed)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unclosed quote");
        assertThatThrownBy(() -> PostgresqlSqlParser.parse(unclosed)).isInstanceOf(IllegalArgumentException.class);
        assertThat(PostgresqlSqlParser.cached()).isLessThanOrEqualTo(before);
    }

    @Test
    void theCacheStaysWithinItsLimit() {
        for (int i = 0; i < PostgresqlSqlParser.CACHE_LIMIT * 2 + 10; i++) {
            PostgresqlSqlParser.parse("SELECT " + i + " -- limit test");
            assertThat(PostgresqlSqlParser.cached()).isLessThanOrEqualTo(PostgresqlSqlParser.CACHE_LIMIT);
        }
    }

    /** A statement the driver creates on a real connection goes through the copy (and its cache). */
    @Test
    void theDriverParsesThroughTheCopy() {
        var builder = TestSql.connection("postgres");
        String sql = "SELECT $1::int * 2 AS doubled /* " + System.nanoTime() + " */";
        Connection connection = Mono.from(new PostgresqlConnectionFactory(builder.build()).create())
                .block(Duration.ofSeconds(30));
        try {
            for (int round = 0; round < 2; round++) {
                Integer doubled = Flux.from(connection.createStatement(sql).bind(0, 21).execute())
                        .concatMap(result -> result.map(row -> row.get("doubled", Integer.class)))
                        .blockLast(Duration.ofSeconds(30));
                assertThat(doubled).isEqualTo(42);
                assertThat(PostgresqlSqlParser.isCached(sql)).isTrue();
            }
        } finally {
            Mono.from(connection.close()).block(Duration.ofSeconds(30));
        }
    }
}
