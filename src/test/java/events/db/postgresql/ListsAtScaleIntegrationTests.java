package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.db.ListPage;
import events.db.StoredDocument;
import events.query.Condition;
import events.query.Condition.Op;
import events.query.CountMode;
import events.query.Keyset;
import events.query.ListQuery;
import events.query.PageRequest;
import events.query.SortKey;
import events.schema.Entity;
import events.schema.Schema;
import events.schema.SchemaLoader;
import events.support.ListData;
import events.support.TestDatabase;
import io.r2dbc.spi.Connection;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

/**
 * Lists at scale (api.md 11) on 100,000 items, through the store and {@code EXPLAIN} of the SQL it
 * issues: estimated totals cost no count and are close to the truth, a keyset page deep in the list is
 * a range scan reading about a page of rows, and a search walks its GIN index.
 */
final class ListsAtScaleIntegrationTests {

    private static final int ITEMS = 100_000;
    private static final String DATABASE = "events_it_scale_" + ProcessHandle.current().pid();
    private static PostgreSQLCore core;
    private static PostgreSQLDocuments documents;
    private static Schema schema;
    private static Entity item;

    @BeforeAll
    static void load() throws IOException {
        EventsConfig config = new ConfigLoader().load(null, Map.of("EVENTS_DB_NAME", DATABASE));
        try (InputStream in = ListsAtScaleIntegrationTests.class.getResourceAsStream("/lists-schema.yaml")) {
            schema = new SchemaLoader().load(new String(in.readAllBytes(), StandardCharsets.UTF_8), null);
        }
        core = PostgreSQLCore.connect(TestDatabase.uri(), config);
        documents = new PostgreSQLDocuments(schema, core, false, JsonMapper.builder().build());
        documents.migrate(Duration.ofMinutes(5));
        item = schema.entity("Item").orElseThrow();
        execute(ListData.insert("Item", "i", 1, ITEMS));
        execute("VACUUM ANALYZE \"Item\"");
    }

    @AfterAll
    static void close() {
        core.close();
    }

    @Test
    void estimatedTotalOfAnUnfilteredListIsWithinTenPercent() {
        ListPage page = list(query(List.of(), List.of(), CountMode.ESTIMATED, null));
        assertThat(page.totalEstimated()).isTrue();
        assertThat(page.documents()).hasSize(25);
        assertThat((double) page.total()).isCloseTo(ITEMS, within(ITEMS * 0.1));
    }

    /** field | op | value: equality on an enum string (by its indexed prefix), ranges on a number and a date. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"category|EQ|beta", "score|GE|500", "day|LT|2021-01-01"})
    void estimatedTotalOfAnIndexedFilterIsWithinTenPercent(String field, Op op, String value) {
        Object typed = field.equals("score") ? new BigDecimal(value) : value;
        List<Condition> filter = List.of(new Condition(item.field(field).orElseThrow(), op, typed));
        long exact = list(query(List.of(), filter, CountMode.EXACT, null)).total();
        ListPage estimated = list(query(List.of(), filter, CountMode.ESTIMATED, null));
        assertThat(estimated.totalEstimated()).isTrue();
        assertThat(exact).isGreaterThan(10_000);
        assertThat((double) estimated.total()).isCloseTo(exact, within(exact * 0.1));
    }

    @Test
    void estimatedCountRunsNoCount() {
        List<Condition> filter = List.of(new Condition(item.field("score").orElseThrow(), Op.GE, new BigDecimal("500")));
        ListQuery query = query(List.of(), filter, CountMode.ESTIMATED, null);
        String page = explain("EXPLAIN (COSTS OFF) ", documents.pageWithTotal(item, query));
        assertThat(page).doesNotContain("Aggregate").doesNotContain("InitPlan");
        Sql estimate = documents.estimateStatement(item, query);
        assertThat(estimate.text()).startsWith("EXPLAIN (FORMAT JSON) SELECT 1 FROM \"Item\" WHERE")
                .doesNotContainIgnoringCase("count(");
        // Compare: the exact mode's page carries the count, in the ELSE branch of its CASE.
        assertThat(explain("EXPLAIN (COSTS OFF) ", documents.pageWithTotal(item,
                query(List.of(), filter, CountMode.EXACT, null)))).contains("Aggregate");
    }

    @Test
    void aPageThatShowsTheEndHasAnExactTotalInEveryMode() {
        List<Condition> filter = List.of(new Condition(item.field("score").orElseThrow(), Op.EQ, new BigDecimal("7")));
        long exact = list(query(List.of(), filter, CountMode.EXACT, null)).total();
        assertThat(exact).isBetween(1L, 1000L);
        ListQuery lastPage = new ListQuery(new PageRequest((int) (exact / 25) + 1, 25), true, List.of(), filter,
                List.of(), CountMode.ESTIMATED, null, null);
        ListPage page = list(lastPage);
        assertThat(page.totalEstimated()).isFalse();
        assertThat(page.total()).isEqualTo(exact);
        assertThat(page.hasMore()).isFalse();
        ListQuery pastTheEnd = new ListQuery(new PageRequest(1000, 25), true, List.of(), filter, List.of(),
                CountMode.ESTIMATED, null, null);
        assertThat(list(pastTheEnd).total()).isEqualTo(exact);
        assertThat(list(pastTheEnd).documents()).isEmpty();
    }

    /**
     * sort | index the page must range-scan. Page 2,001 of 25 by {@code after}: the same rows as by
     * {@code page}, with no OFFSET, and no plan node producing more than a few pages of rows (by
     * {@code page}, the scan reads the 50,000 rows before it).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "id|Item_pkey",
        "score:desc|ev_item_score_desc",
        "name|ev_item_name_asc",
        "day:desc,price|ev_item_day_desc"})
    void aKeysetPageDeepInTheListIsAnIndexRangeScan(String sortText, String index) {
        List<SortKey> sort = sort(sortText);
        ListPage deep = list(new ListQuery(new PageRequest(2000, 25), true, sort, List.of(), List.of(), CountMode.NONE,
                null, null));
        assertThat(deep.hasMore()).isTrue();
        ListQuery after = new ListQuery(new PageRequest(1, 25), true, sort, List.of(), List.of(), CountMode.NONE,
                null, new Keyset(deep.lastKeys()));
        ListPage byPage = list(new ListQuery(new PageRequest(2001, 25), true, sort, List.of(), List.of(),
                CountMode.NONE, null, null));
        assertThat(ids(list(after))).isEqualTo(ids(byPage)).hasSize(25);

        Sql sql = documents.pageWithTotal(item, after);
        assertThat(sql.text()).doesNotContain("OFFSET");
        String plan = explain("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ", sql);
        assertThat(plan).containsPattern("Index (Only )?Scan (Backward )?using \"?" + index).contains("Index Cond");
        assertThat(maxActualRows(plan)).as(plan).isLessThanOrEqualTo(500);
        String offsetPlan = explain("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ",
                documents.pageWithTotal(item, new ListQuery(new PageRequest(2001, 25), true, sort, List.of(),
                        List.of(), CountMode.NONE, null, null)));
        assertThat(maxActualRows(offsetPlan)).isGreaterThan(50_000);
    }

    @Test
    void aSearchUsesTheGinIndex() {
        String plan = explain("EXPLAIN (COSTS OFF) ", documents.pageWithTotal(item,
                query(List.of(), List.of(), CountMode.NONE, "apple")));
        assertThat(plan).containsPattern("Bitmap Index Scan on \"?ev_item_search_[0-9a-f]{8}");
        String counted = explain("EXPLAIN (COSTS OFF) ", documents.pageWithTotal(item,
                query(List.of(), List.of(new Condition(item.field("active").orElseThrow(), Op.EQ, true)),
                        CountMode.EXACT, "\"jazz night\" or festival")));
        assertThat(counted).containsPattern("Bitmap Index Scan on \"?ev_item_search_").doesNotContain("Seq Scan");
    }

    @Test
    void aSearchIsOrderedByRelevanceThenId() {
        ListPage page = list(new ListQuery(new PageRequest(1, 1000), true, List.of(), List.of(), List.of(),
                CountMode.EXACT, "jazz", null));
        List<Float> ranks = new ArrayList<>();
        for (StoredDocument document : page.documents()) {
            String note = document.data().path("note").asString("");
            assertThat(note).contains("jazz");
            ranks.add(rank(document.id(), "jazz"));
        }
        for (int i = 1; i < ranks.size(); i++) {
            assertThat(ranks.get(i)).isLessThanOrEqualTo(ranks.get(i - 1));
            if (ranks.get(i).equals(ranks.get(i - 1))) {
                assertThat(page.documents().get(i).id()).isGreaterThan(page.documents().get(i - 1).id());
            }
        }
        assertThat(page.total()).isEqualTo(count("WHERE data->>'note' LIKE '%jazz%'"));
    }

    @Test
    void theSearchIndexIsReplacedWhenItsDefinitionChanges() {
        List<String> before = searchIndexes();
        assertThat(before).singleElement().asString().startsWith("ev_item_search_");
        String changed = resource().replace("search_weight: C", "search_weight: D");
        PostgreSQLDocuments other = new PostgreSQLDocuments(new SchemaLoader().load(changed, null), core, false,
                JsonMapper.builder().build());
        try {
            other.migrate(Duration.ofMinutes(5));
            List<String> after = searchIndexes();
            assertThat(after).singleElement().asString().startsWith("ev_item_search_");
            assertThat(after).doesNotContainAnyElementsOf(before);
        } finally {
            documents.migrate(Duration.ofMinutes(5)); // back to the schema of the other tests
        }
        assertThat(searchIndexes()).isEqualTo(before);
    }

    @Test
    void everyServerOnTheDatabaseSignsWithTheSameSecret() {
        PostgreSQLDocuments other = new PostgreSQLDocuments(schema, core, false, JsonMapper.builder().build());
        other.migrate(Duration.ofMinutes(5));
        assertThat(other.cursorSecret()).hasSize(32).isEqualTo(documents.cursorSecret());
    }

    private static List<String> searchIndexes() {
        return query("SELECT indexname FROM pg_indexes WHERE tablename = 'Item' AND indexname LIKE 'ev_item_search%'")
                .stream().map(row -> (String) row.get(0)).toList();
    }

    private static String resource() {
        try (InputStream in = ListsAtScaleIntegrationTests.class.getResourceAsStream("/lists-schema.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static float rank(String id, String words) {
        Sql sql = new Sql().append("SELECT ts_rank(").append(new FieldExpressions(false).textDocument(item))
                .append(", websearch_to_tsquery('simple', ").bind(words).append(")) FROM \"Item\" WHERE id = ").bind(id);
        return Flux.usingWhen(core.pool().create(), c -> Flux.from(bind(c, sql).execute())
                        .flatMap(r -> r.map(row -> row.get(0, Float.class))), Connection::close)
                .blockLast(Duration.ofSeconds(10));
    }

    private static long count(String where) {
        return (Long) query("SELECT count(*) FROM \"Item\" " + where).get(0).get(0);
    }

    private static int maxActualRows(String plan) {
        Matcher matcher = Pattern.compile("actual rows=(\\d+)").matcher(plan);
        int max = 0;
        while (matcher.find()) {
            max = Math.max(max, Integer.parseInt(matcher.group(1)));
        }
        return max;
    }

    private static ListPage list(ListQuery query) {
        return documents.list(item, query).block(Duration.ofSeconds(60));
    }

    private static List<String> ids(ListPage page) {
        return page.documents().stream().map(StoredDocument::id).toList();
    }

    private static ListQuery query(List<SortKey> sort, List<Condition> filter, CountMode count, String search) {
        return new ListQuery(new PageRequest(1, 25), true, sort, filter, List.of(), count, search, null);
    }

    private static List<SortKey> sort(String text) {
        List<SortKey> keys = new ArrayList<>();
        for (String part : text.split(",")) {
            String[] pieces = part.split(":");
            keys.add(new SortKey(item.field(pieces[0]).orElseThrow(), pieces.length > 1 && pieces[1].equals("desc")));
        }
        return keys;
    }

    private static String explain(String prefix, Sql sql) {
        List<String> lines = Flux.usingWhen(core.pool().create(),
                        c -> Flux.from(bind(c, new Sql().append(prefix + sql.text()), sql.values()).execute())
                                .flatMap(r -> r.map(row -> row.get(0, String.class))), Connection::close)
                .collectList().block(Duration.ofSeconds(60));
        return lines.stream().collect(Collectors.joining("\n"));
    }

    private static io.r2dbc.spi.Statement bind(Connection connection, Sql sql) {
        return bind(connection, sql, sql.values());
    }

    private static io.r2dbc.spi.Statement bind(Connection connection, Sql sql, List<Object> values) {
        var statement = connection.createStatement(sql.text());
        for (int i = 0; i < values.size(); i++) {
            statement.bind(i, values.get(i));
        }
        return statement;
    }

    private static List<List<Object>> query(String sql) {
        return Flux.usingWhen(core.pool().create(), c -> Flux.from(c.createStatement(sql).execute())
                        .flatMap(r -> r.map((row, meta) -> {
                            List<Object> columns = new ArrayList<>();
                            for (int i = 0; i < meta.getColumnMetadatas().size(); i++) {
                                columns.add(row.get(i));
                            }
                            return columns;
                        })), Connection::close)
                .collectList().block(Duration.ofSeconds(60));
    }

    private static void execute(String sql) {
        Flux.usingWhen(core.pool().create(), c -> Flux.from(c.createStatement(sql).execute())
                .flatMap(r -> r.getRowsUpdated()), Connection::close).blockLast(Duration.ofMinutes(5));
    }
}
