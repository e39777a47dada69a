package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.query.Condition;
import events.query.Condition.Op;
import events.query.ListQuery;
import events.query.PageRequest;
import events.query.SortKey;
import events.schema.Entity;
import events.schema.Schema;
import events.schema.SchemaLoader;
import events.support.TestDatabase;
import io.r2dbc.spi.Connection;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code EXPLAIN} of the SQL the server really issues, on 50,000 users: equality and range filters and
 * sorts on indexed fields use their indexes (design.md "Storage").
 */
final class IndexUsageIntegrationTests {

    private static final int USERS = 50_000;
    private static PostgreSQLCore core;
    private static PostgreSQLDocuments documents;
    private static Entity user;

    @BeforeAll
    static void load() throws IOException {
        String database = "events_it_explain_" + ProcessHandle.current().pid();
        EventsConfig config = new ConfigLoader().load(null, Map.of("EVENTS_DB_NAME", database));
        Schema schema;
        try (InputStream in = IndexUsageIntegrationTests.class.getResourceAsStream("/events-schema.yaml")) {
            schema = new SchemaLoader().load(new String(in.readAllBytes(), StandardCharsets.UTF_8), null);
        }
        core = PostgreSQLCore.connect(TestDatabase.uri(), config);
        documents = new PostgreSQLDocuments(schema, core, false, JsonMapper.builder().build());
        documents.migrate(Duration.ofMinutes(5));
        user = schema.entity("User").orElseThrow();
        execute("INSERT INTO \"User\" (id, data) SELECT 'u' || lpad(i::text, 6, '0'), jsonb_build_object("
                + "'username', 'user_' || lpad(i::text, 6, '0'), 'email', 'user' || i || '@example.com', "
                + "'lastName', md5(i::text), 'firstName', 'First', 'password', 'x', 'isAccountOwner', i % 2 = 0, "
                + "'netWorth', (i * 7919) % 10000000, 'dob', (date '1950-01-01' + (i % 20000))::text, "
                + "'accountId', 'acc-' || (i % 500), 'roleId', 'role-1') FROM generate_series(1, " + USERS + ") AS i");
        execute("ANALYZE \"User\"");
    }

    @AfterAll
    static void close() {
        core.close();
    }

    @Test
    void equalityFilterOnAStringUsesItsIndex() {
        String plan = explain(query(List.of(), List.of(condition("username", Op.EQ, "user_012345"))));
        assertThat(plan).containsPattern("Index (Only )?Scan.*ev_user_username_(asc|desc)");
    }

    @Test
    void equalityFilterOnAForeignKeyUsesItsIndex() {
        String plan = explain(query(List.of(), List.of(condition("accountId", Op.EQ, "acc-42"))));
        assertThat(plan).containsPattern("(Index|Bitmap Index) Scan.*ev_user_accountid_(asc|desc)");
    }

    @Test
    void rangeFilterOnANumberUsesItsIndex() {
        String plan = explain(query(List.of(), List.of(condition("netWorth", Op.GE, new BigDecimal("25000")),
                condition("netWorth", Op.LE, new BigDecimal("26000")))));
        assertThat(plan).containsPattern("(Index|Bitmap Index) Scan.*ev_user_networth_(asc|desc)");
    }

    @Test
    void sortsUseTheirIndexInBothDirections() {
        assertThat(explain(query(List.of(new SortKey(user.field("netWorth").orElseThrow(), false)), List.of())))
                .containsPattern("Index Scan using ev_user_networth_asc").doesNotContain("Seq Scan");
        assertThat(explain(query(List.of(new SortKey(user.field("netWorth").orElseThrow(), true)), List.of())))
                .containsPattern("Index Scan using ev_user_networth_desc").doesNotContain("Seq Scan");
        assertThat(explain(query(List.of(new SortKey(user.field("lastName").orElseThrow(), false)), List.of())))
                .containsPattern("Index Scan using ev_user_lastname_asc").doesNotContain("Seq Scan");
        assertThat(explain(query(List.of(new SortKey(user.field("dob").orElseThrow(), true)), List.of())))
                .containsPattern("Index Scan using ev_user_dob_desc").doesNotContain("Seq Scan");
    }

    @Test
    void filterAndSortTogetherAvoidAFullScan() {
        String plan = explain(query(List.of(new SortKey(user.field("netWorth").orElseThrow(), false)),
                List.of(condition("accountId", Op.EQ, "acc-42"))));
        assertThat(plan).doesNotContain("Seq Scan");
    }

    @Test
    void containsFilterUsesTheTrigramIndexWhenAvailable() {
        boolean trigram = trigram();
        // The planner may walk the primary key for the page (LIMIT 25) and still needs the trigram index
        // to count; either way the index must appear.
        String plan = explainAll(query(List.of(), List.of(condition("lastName", Op.CONTAINS, "abcd"))));
        if (trigram) {
            assertThat(plan).contains("ev_user_lastname_trgm");
        } else {
            assertThat(plan).contains("Seq Scan");
        }
    }

    /**
     * A prepared text's generic plan serves every value once PostgreSQL settles on it. A value without a
     * trigram (two letters) has a text of its own that never meets the trigram index; the longer value's
     * generic plan does use the index (what the short one would otherwise inherit).
     */
    @Test
    void aValueWithoutATrigramHasATextWhoseGenericPlanNeverMeetsTheTrigramIndex() {
        assertThat(genericPlan(query(List.of(), List.of(condition("lastName", Op.CONTAINS, "ab")))))
                .doesNotContain("trgm");
        if (trigram()) {
            assertThat(genericPlan(query(List.of(), List.of(condition("lastName", Op.CONTAINS, "abcd")))))
                    .contains("ev_user_lastname_trgm");
        }
    }

    @Test
    void aTrigramIsARunOfThreeLettersOrDigits() {
        assertThat(PostgreSQLQueries.hasTrigram("abc")).isTrue();
        assertThat(PostgreSQLQueries.hasTrigram("x ab1")).isTrue();
        assertThat(PostgreSQLQueries.hasTrigram("é漢字")).isTrue();
        assertThat(PostgreSQLQueries.hasTrigram("ab")).isFalse();
        assertThat(PostgreSQLQueries.hasTrigram("a b c")).isFalse();
        assertThat(PostgreSQLQueries.hasTrigram("n_x")).isFalse();
        assertThat(PostgreSQLQueries.hasTrigram("%_\\")).isFalse();
        assertThat(PostgreSQLQueries.hasTrigram("")).isFalse();
    }

    @Test
    void theCountOfAFilteredFullPageUsesTheFilterIndexToo() {
        String plan = explainAll(query(List.of(), List.of(condition("accountId", Op.EQ, "acc-42"))));
        String count = plan.substring(plan.lastIndexOf("InitPlan"));
        assertThat(count).containsPattern("ev_user_accountid_(asc|desc)").doesNotContain("Seq Scan");
    }

    @Test
    void idOrderedPagesWalkThePrimaryKey() {
        assertThat(explain(query(List.of(), List.of()))).contains("User_pkey");
    }

    private static ListQuery query(List<SortKey> sort, List<Condition> filter) {
        return new ListQuery(new PageRequest(1, 25), true, sort, filter, List.of());
    }

    private static Condition condition(String field, Op op, Object value) {
        return new Condition(user.field(field).orElseThrow(), op, value);
    }

    /** The plan of the page itself (the CTE), without the count that runs only for full pages. */
    private static String explain(ListQuery query) {
        String plan = explainAll(query);
        int start = plan.indexOf("CTE page");
        int end = plan.indexOf("InitPlan", start);
        assertThat(start).as(plan).isNotNegative();
        return plan.substring(start, end < 0 ? plan.length() : end);
    }

    private static String explainAll(ListQuery query) {
        Sql sql = documents.pageWithTotal(user, query);
        List<String> lines = Flux.usingWhen(core.pool().create(), c -> {
                    var statement = c.createStatement("EXPLAIN (COSTS OFF) " + sql.text());
                    List<Object> values = sql.values();
                    for (int i = 0; i < values.size(); i++) {
                        statement.bind(i, values.get(i));
                    }
                    return Flux.from(statement.execute()).flatMap(r -> r.map(row -> row.get(0, String.class)));
                }, Connection::close)
                .collectList().block(Duration.ofSeconds(30));
        return lines.stream().collect(Collectors.joining("\n"));
    }

    /** The plan PostgreSQL uses for the text once it has settled on a generic plan (any value). */
    private static String genericPlan(ListQuery query) {
        Sql sql = documents.pageWithTotal(user, query);
        StringBuilder values = new StringBuilder();
        for (Object value : sql.values()) {
            values.append(values.isEmpty() ? "" : ", ")
                    .append(value instanceof String text ? Sql.quoteLiteral(text) : String.valueOf(value));
        }
        List<String> lines = Flux.usingWhen(core.pool().create(), c -> Flux.concat(
                        Flux.from(c.createStatement("SET plan_cache_mode = force_generic_plan").execute())
                                .flatMap(r -> r.getRowsUpdated()).then(),
                        // PREPARE from inside a DO block: the driver would take its $n for parameters to bind.
                        Flux.from(c.createStatement("DO $do$ BEGIN EXECUTE $prepare$PREPARE generic_page AS "
                                        + sql.text() + "$prepare$; END $do$").execute())
                                .flatMap(r -> r.getRowsUpdated()).then(),
                        Flux.from(c.createStatement("EXPLAIN (COSTS OFF) EXECUTE generic_page(" + values + ")").execute())
                                .flatMap(r -> r.map(row -> row.get(0, String.class))),
                        Flux.from(c.createStatement("DEALLOCATE generic_page; RESET plan_cache_mode").execute())
                                .flatMap(r -> r.getRowsUpdated()).then())
                        .cast(String.class), Connection::close)
                .collectList().block(Duration.ofSeconds(30));
        return String.join("\n", lines);
    }

    private static boolean trigram() {
        return Boolean.TRUE.equals(Flux.usingWhen(core.pool().create(),
                c -> Flux.from(c.createStatement("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")
                        .execute()).flatMap(r -> r.map(row -> row.get(0, Boolean.class))),
                Connection::close).blockLast(Duration.ofSeconds(10)));
    }

    private static void execute(String sql) {
        Flux.usingWhen(core.pool().create(), c -> Flux.from(c.createStatement(sql).execute())
                .flatMap(r -> r.getRowsUpdated()), Connection::close).blockLast(Duration.ofMinutes(5));
    }
}
