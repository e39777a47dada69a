package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** {@link Sql}'s text: one String per text until it changes, and every change seen. */
final class SqlTests {

    @Test
    void aTextMadeOnceIsTheSameStringOnEveryStatement() {
        String fixed = "SELECT data FROM \"User\" WHERE id = $1";
        Sql sql = Sql.of(DatabaseMetrics.Kind.SELECT, fixed, "u1");
        assertThat(sql.text()).isSameAs(fixed);
        assertThat(sql.text()).isSameAs(sql.text());
        assertThat(sql.values()).containsExactly("u1");
    }

    @Test
    void aBuiltTextIsKeptUntilItChanges() {
        Sql sql = new Sql().append("SELECT id FROM ").append(Sql.table("User")).append(" WHERE id = ").bind("u1");
        String first = sql.text();
        assertThat(first).isEqualTo("SELECT id FROM \"User\" WHERE id = $1");
        assertThat(sql.text()).isSameAs(first);
        sql.append(" OR id = ").bind("u2");
        assertThat(sql.text()).isEqualTo("SELECT id FROM \"User\" WHERE id = $1 OR id = $2");
        assertThat(sql.values()).containsExactly("u1", "u2");
    }

    @Test
    void everyChangeOfAFixedTextIsSeen() {
        Sql sql = Sql.of(DatabaseMetrics.Kind.SELECT, "SELECT 1, $1", "v");
        assertThat(sql.append(" AS one").text()).isEqualTo("SELECT 1, $1 AS one");
        assertThat(sql.prepend("EXPLAIN ").text()).isEqualTo("EXPLAIN SELECT 1, $1 AS one");
        assertThat(sql.trimEnd(7).text()).isEqualTo("EXPLAIN SELECT 1, $1");
        assertThat(sql.bind("w").text()).isEqualTo("EXPLAIN SELECT 1, $1$2");
        assertThat(sql.replaceText("SELECT $1, $2").text()).isEqualTo("SELECT $1, $2");
        assertThat(sql.append(" FROM ").append(Sql.table("A\"b")).toString()).isEqualTo("SELECT $1, $2 FROM \"A\"\"b\"");
        assertThat(sql.values()).isEqualTo(List.of("v", "w"));
    }
}
