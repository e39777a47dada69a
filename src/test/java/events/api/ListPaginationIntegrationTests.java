package events.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.query.CursorCodec;
import events.query.ListQuery;
import events.schema.Entity;
import events.schema.Schema;
import events.schema.SchemaLoader;
import events.support.ListData;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Lists at scale over HTTP (api.md 11) on {@code lists-schema.yaml}: count modes, walks by
 * {@code next} that match the exact-count pages (also while rows come and go), cursor misuse, and
 * full-text search on lists and streams.
 */
final class ListPaginationIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DATABASE = "events_it_lists_" + ProcessHandle.current().pid();
    private static final String SCHEMA = Path.of("src/test/resources/lists-schema.yaml").toAbsolutePath().toString();
    private static final int ITEMS = 50_000;
    private static final int CHURN = 10_000;
    private static final String[] MODES = {"none", "estimated", "exact"};
    private static EventsServer server;
    private static WebTestClient client;

    @BeforeAll
    static void start() {
        server = TestServers.start(Map.of("EVENTS_SCHEMA", SCHEMA, "EVENTS_DB_NAME", DATABASE));
        client = TestServers.client(server);
        TestSql.query(DATABASE, ListData.insert("Item", "i", 1, ITEMS));
        TestSql.query(DATABASE, ListData.insert("Churn", "c", 1, CHURN));
        TestSql.query(DATABASE, "VACUUM ANALYZE \"Item\"");
        TestSql.query(DATABASE, "VACUUM ANALYZE \"Churn\"");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /**
     * A walk of 50,000 rows by {@code next} (the count mode changing from page to page) yields exactly
     * the rows of the exact-count pages, in their order: missing values, ties, mixed directions, the
     * 200-character string prefix, dates, numbers, booleans and {@code id} as an explicit key.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "score:desc", "name", "active,price:desc,day", "category:desc,name,score",
        "day:desc,id:desc"})
    void walkingByNextYieldsExactlyTheExactCountPages(String sort) {
        List<String> walked = walk("/api/Item?sort=" + sort + "&pageSize=1000", true);
        List<String> paged = new ArrayList<>();
        for (int page = 1; ; page++) {
            JsonNode answer = get("/api/Item?sort=" + sort + "&pageSize=1000&page=" + page);
            answer.path("data").forEach(d -> paged.add(d.path("id").asString()));
            assertThat(answer.path("pagination").path("total").asLong()).isEqualTo(ITEMS);
            if (!answer.path("pagination").has("next")) {
                break;
            }
        }
        assertThat(paged).hasSize(ITEMS).doesNotHaveDuplicates();
        assertThat(walked).isEqualTo(paged);
    }

    @Test
    void walkingASearchByNextYieldsItsExactPages() {
        for (String query : List.of("search=jazz%20or%20apple&filter=active:true&pageSize=500",
                "search=jazz%20or%20apple&filter=active:true&sort=score&pageSize=500",
                "search=%22jazz%20night%22&filter=score:lt:500&pageSize=300")) {
            List<String> walked = walk("/api/Item?" + query, true);
            List<String> paged = new ArrayList<>();
            for (int page = 1; ; page++) {
                JsonNode answer = get("/api/Item?" + query + "&page=" + page);
                answer.path("data").forEach(d -> paged.add(d.path("id").asString()));
                if (!answer.path("pagination").has("next")) {
                    assertThat(answer.path("pagination").path("total").asLong()).isEqualTo(paged.size());
                    break;
                }
            }
            assertThat(paged).as(query).hasSizeGreaterThan(500).doesNotHaveDuplicates();
            assertThat(walked).as(query).isEqualTo(paged);
        }
    }

    /**
     * Rows inserted and deleted while a client walks (between its requests, all over the order) never
     * make it skip or repeat a row that existed throughout; those rows come in list order.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"0|score:desc", "1|name", "2|active:desc,price,day:desc", "3|id:desc"})
    void rowsPresentThroughoutAWalkAppearExactlyOnceWhileOthersComeAndGo(int round, String sort) {
        String list = "/api/Churn?sort=" + sort + "&pageSize=250";
        Set<String> before = new HashSet<>(stream("/api/Churn"));
        // The rows this walk deletes: every tenth original one (a different tenth each round).
        List<String> doomed = new ArrayList<>();
        for (int i = 1; i <= CHURN; i++) {
            if (i % 10 == round) {
                doomed.add(String.format("c%07d", i));
            }
        }
        List<String> walked = new ArrayList<>();
        JsonNode answer = get(list);
        int step = 0;
        while (true) {
            answer.path("data").forEach(d -> walked.add(d.path("id").asString()));
            String next = answer.path("pagination").path("next").asString(null);
            if (next == null) {
                break;
            }
            // Between two pages: 25 deletions and 25 insertions, with values anywhere in the order.
            int from = doomed.size() * step / 40;
            List<String> gone = doomed.subList(Math.min(from, doomed.size()), Math.min(from + 25, doomed.size()));
            if (!gone.isEmpty()) {
                TestSql.query(DATABASE, "DELETE FROM \"Churn\" WHERE id = ANY($1)", (Object) gone.toArray(String[]::new));
            }
            int first = 1_000_000 * (round + 1) + step * 25;
            TestSql.query(DATABASE, ListData.insert("Churn", "n", first, first + 24));
            step++;
            answer = get(list + "&after=" + next);
        }
        Set<String> throughout = new HashSet<>(before);
        doomed.forEach(throughout::remove);
        assertThat(walked).doesNotHaveDuplicates();
        assertThat(walked).containsAll(throughout);
        List<String> inOrder = stream("/api/Churn?sort=" + sort);
        List<String> expected = inOrder.stream().filter(throughout::contains).toList();
        assertThat(walked.stream().filter(throughout::contains).toList()).isEqualTo(expected);
        assertThat(step).isGreaterThan(30);
    }

    @Test
    void countNoneOmitsTheTotalAndSaysWhetherMoreFollow() {
        JsonNode first = get("/api/Item?count=none&sort=score");
        assertThat(first.path("pagination").has("total")).isFalse();
        assertThat(first.path("pagination").has("totalPages")).isFalse();
        assertThat(first.path("pagination").path("hasMore").asBoolean()).isTrue();
        assertThat(first.path("pagination").path("page").asInt()).isEqualTo(1);
        assertThat(first.path("pagination").path("next").asString()).matches("[A-Za-z0-9_-]+");
        JsonNode last = get("/api/Item?count=none&page=" + ITEMS / 25 + "&pageSize=25");
        assertThat(last.path("data").size()).isEqualTo(25);
        assertThat(last.path("pagination").path("hasMore").asBoolean()).isFalse();
        assertThat(last.path("pagination").has("next")).isFalse();
        JsonNode past = get("/api/Item?count=none&page=99999");
        assertThat(past.path("data").size()).isZero();
        assertThat(past.path("pagination").path("hasMore").asBoolean()).isFalse();
    }

    @Test
    void countEstimatedMarksAnEstimateAndIsExactWhenThePageShowsTheEnd() {
        JsonNode estimated = get("/api/Item?count=estimated");
        assertThat(estimated.path("pagination").path("totalEstimated").asBoolean()).isTrue();
        long total = estimated.path("pagination").path("total").asLong();
        assertThat((double) total).isCloseTo(ITEMS, within(ITEMS * 0.1));
        assertThat(estimated.path("pagination").path("totalPages").asLong()).isEqualTo((total + 24) / 25);
        JsonNode last = get("/api/Item?count=estimated&pageSize=30&page=" + (ITEMS / 30 + 1));
        assertThat(last.path("data").size()).isEqualTo(ITEMS % 30);
        assertThat(last.path("pagination").path("totalEstimated").asBoolean()).isFalse();
        assertThat(last.path("pagination").path("total").asLong()).isEqualTo(ITEMS);
        JsonNode past = get("/api/Item?count=estimated&page=99999");
        assertThat(past.path("pagination").path("totalEstimated").asBoolean()).isFalse();
        assertThat(past.path("pagination").path("total").asLong()).isEqualTo(ITEMS);
        JsonNode exact = get("/api/Item");
        assertThat(exact.path("pagination").has("totalEstimated")).isFalse();
        assertThat(exact.path("pagination").has("hasMore")).isFalse();
        assertThat(exact.path("pagination").path("total").asLong()).isEqualTo(ITEMS);
    }

    @Test
    void aPageByCursorHasNoPageNumberButItsTotal() {
        String next = get("/api/Item?sort=price").path("pagination").path("next").asString();
        JsonNode second = get("/api/Item?sort=price&after=" + next);
        assertThat(second.path("pagination").has("page")).isFalse();
        assertThat(second.path("pagination").path("pageSize").asInt()).isEqualTo(25);
        assertThat(second.path("pagination").path("total").asLong()).isEqualTo(ITEMS);
        assertThat(ids(second)).isEqualTo(ids(get("/api/Item?sort=price&page=2")));
    }

    @Test
    void aFullLastPageHasNoNext() {
        JsonNode last = get("/api/Item?pageSize=1000&page=" + ITEMS / 1000);
        assertThat(last.path("data").size()).isEqualTo(1000);
        assertThat(last.path("pagination").has("next")).isFalse();
        assertThat(get("/api/Item?pageSize=1000&page=1").path("pagination").has("next")).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "count=all|count",
        "count=exactly|count",
        "page=2&after=AQ|after",
        "after=garbage|after",
        "after=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|after",
        "search=jazz&after=%00|after"})
    void badCountOrCursorIsA400NamingIt(String query, String parameter) {
        assertBadRequest("/api/Item?" + query, parameter);
    }

    @Test
    void aCursorUsedWithAnotherSortFilterOrSearchOrAlteredIsA400NamingAfter() {
        String next = get("/api/Item?sort=score&filter=active:true").path("pagination").path("next").asString();
        assertThat(get("/api/Item?filter=active:yes&sort=score&after=" + next).path("data").size()).isEqualTo(25);
        assertBadRequest("/api/Item?sort=score:desc&filter=active:true&after=" + next, "after");
        assertBadRequest("/api/Item?sort=score&filter=active:false&after=" + next, "after");
        assertBadRequest("/api/Item?sort=score&after=" + next, "after");
        assertBadRequest("/api/Item?sort=score&filter=active:true&search=jazz&after=" + next, "after");
        assertBadRequest("/api/Churn?sort=score&filter=active:true&after=" + next, "after");
        char last = next.charAt(next.length() - 1);
        String altered = next.substring(0, next.length() - 1) + (last == 'A' ? 'B' : 'A');
        assertBadRequest("/api/Item?sort=score&filter=active:true&after=" + altered, "after");
        Schema schema = new SchemaLoader().load(readSchema(), null);
        Entity item = schema.entity("Item").orElseThrow();
        ListQuery query = new ListQueryParser(schema).list(item, QueryParameters.of("sort=score&filter=active:true"));
        String foreign = new CursorCodec("some-other-deployment-secret-32b".getBytes())
                .encode(CursorCodec.binding(item, query), List.of("5", "i0000001"));
        assertBadRequest("/api/Item?sort=score&filter=active:true&after=" + foreign, "after");
    }

    /** A second server process on the same database: it accepts the first one's cursors, and default_count applies. */
    @Test
    void anotherServerOnTheDatabaseAcceptsTheCursorsAndDefaultCountApplies() {
        JsonNode first = get("/api/Item?sort=name:desc");
        try (EventsServer other = TestServers.start(Map.of("EVENTS_SCHEMA", SCHEMA, "EVENTS_DB_NAME", DATABASE,
                "EVENTS_DEFAULT_COUNT", "estimated"))) {
            WebTestClient otherClient = TestServers.client(other);
            JsonNode second = body(otherClient.get().uri("/api/Item?sort=name:desc&after="
                    + first.path("pagination").path("next").asString()).exchange().expectStatus().isOk());
            assertThat(ids(second)).isEqualTo(ids(get("/api/Item?sort=name:desc&page=2")));
            assertThat(second.path("pagination").path("totalEstimated").asBoolean()).isTrue();
            JsonNode counted = body(otherClient.get().uri("/api/Item?count=exact").exchange().expectStatus().isOk());
            assertThat(counted.path("pagination").has("totalEstimated")).isFalse();
        }
    }

    @Test
    void searchOnAnEntityWithoutSearchableFieldsIsA400NamingSearch() {
        assertBadRequest("/api/Plain?search=anything", "search");
        client.get().uri(raw("/api/Plain?search=")).exchange().expectStatus().isOk();
    }

    @Test
    void searchCombinesWithFilterAndRanksTitleWordsFirst() {
        // "apple" is in names (weight A) and "jazz" in notes (weight C): with no sort, names come first.
        JsonNode answer = get("/api/Item?search=apple%20or%20jazz&filter=score:lt:30&pageSize=1000");
        long total = answer.path("pagination").path("total").asLong();
        long expected = (Long) TestSql.query(DATABASE, "SELECT count(*) AS n FROM \"Item\" WHERE "
                + "((data->>'score')::numeric) < 30 AND (lower(data->>'name') LIKE 'apple %' "
                + "OR data->>'note' LIKE '%jazz%')").get(0).get("n");
        assertThat(total).isEqualTo(expected);
        List<JsonNode> rows = new ArrayList<>();
        answer.path("data").forEach(rows::add);
        int firstWithoutApple = -1;
        for (int i = 0; i < rows.size(); i++) {
            assertThat(rows.get(i).path("score").asInt()).isLessThan(30);
            boolean apple = rows.get(i).path("name").asString("").toLowerCase().startsWith("apple ");
            if (!apple && firstWithoutApple < 0) {
                firstWithoutApple = i;
            }
            if (apple && firstWithoutApple >= 0) {
                // Only a name match that is also a jazz note could rank after a pure jazz note.
                throw new AssertionError("apple row after non-apple rows at " + i);
            }
        }
        assertThat(firstWithoutApple).isPositive();
        assertThat(total).isLessThan(1000); // the whole match is on this page
        JsonNode sorted = get("/api/Item?search=apple%20or%20jazz&filter=score:lt:30&sort=score:desc&pageSize=5");
        assertThat(sorted.path("data").get(0).path("score").asInt()).isEqualTo(29);
    }

    @Test
    void searchWorksOnStreamsInTheListsOrderAndStreamsIgnoreCount() {
        String query = "search=%22jazz%20jazz%22%20-night&filter=score:lt:500&count=none";
        List<String> streamed = stream("/api/Item?" + query);
        List<String> paged = walk("/api/Item?" + query + "&pageSize=1000", false);
        assertThat(streamed).isNotEmpty().isEqualTo(paged);
        String next = get("/api/Item?" + query + "&pageSize=10").path("pagination").path("next").asString();
        assertThat(stream("/api/Item?" + query + "&after=" + next)).isEqualTo(paged.subList(10, paged.size()));
    }

    @Test
    void aWebsearchThatMatchesNothingIsAnEmptyList() {
        for (String words : List.of("xylophone", "%22%22%20-", "jazz%20-jazz")) {
            JsonNode answer = get("/api/Item?search=" + words);
            assertThat(answer.path("data").size()).as(words).isZero();
            assertThat(answer.path("pagination").path("total").asLong()).isZero();
        }
    }

    /** Every page of a walk from {@code start}, following {@code next}; the count mode rotates when asked. */
    private static List<String> walk(String start, boolean rotateCountModes) {
        List<String> ids = new ArrayList<>();
        String uri = start + (rotateCountModes ? "&count=" + MODES[0] : "");
        for (int page = 1; ; page++) {
            JsonNode answer = get(uri);
            answer.path("data").forEach(d -> ids.add(d.path("id").asString()));
            String next = answer.path("pagination").path("next").asString(null);
            if (next == null) {
                return ids;
            }
            uri = start + (rotateCountModes ? "&count=" + MODES[page % MODES.length] : "") + "&after=" + next;
        }
    }

    private static List<String> stream(String uri) {
        String body = client.get().uri(raw(uri)).accept(MediaType.APPLICATION_NDJSON).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        List<String> ids = new ArrayList<>();
        if (body != null) {
            body.lines().filter(line -> !line.isBlank()).forEach(line -> ids.add(JSON.readTree(line).path("id").asString()));
        }
        return ids;
    }

    private static List<String> ids(JsonNode answer) {
        List<String> ids = new ArrayList<>();
        answer.path("data").forEach(d -> ids.add(d.path("id").asString()));
        return ids;
    }

    private static JsonNode get(String uri) {
        return body(client.get().uri(raw(uri)).exchange().expectStatus().isOk());
    }

    /** The URI exactly as written: WebTestClient would otherwise encode its {@code %} once more. */
    private static URI raw(String pathAndQuery) {
        return URI.create("http://localhost:" + server.port() + pathAndQuery);
    }

    private static JsonNode body(WebTestClient.ResponseSpec response) {
        return JSON.readTree(response.expectBody(String.class).returnResult().getResponseBody());
    }

    private static void assertBadRequest(String uri, String parameter) {
        JsonNode answer = body(client.get().uri(raw(uri)).exchange().expectStatus().isBadRequest());
        assertThat(answer.path("status").asString()).isEqualTo("error");
        assertThat(answer.path("data").isNull()).isTrue();
        JsonNode error = answer.path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("type").asString()).isEqualTo("bad_request");
        assertThat(error.path("field").asString()).as(uri).isEqualTo(parameter);
    }

    private static String readSchema() {
        try {
            return java.nio.file.Files.readString(Path.of(SCHEMA));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
