package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.support.TestServers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The list query language (api.md 5.2–5.5) through HTTP, with documents chosen so that a wrong
 * implementation fails: locale collation, case, text-ordered numbers, wildcards, missing values.
 */
final class QueryLanguageIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static EventsServer server;
    private static WebTestClient client;
    private static String accountId;
    private static String otherAccountId;
    private static String roleId;
    /** Every user of this class lives in this city, so filters can isolate them. */
    private static final String CITY = "Q" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void start() {
        server = TestServers.start(Map.of());
        client = TestServers.client(server);
        accountId = id(create("Account", Map.of("name", "Alpha Holdings", "expireDate", "2027-01-01")));
        otherAccountId = id(create("Account", Map.of("id", "acc-other", "name", "Other Holdings")));
        roleId = id(create("Role", Map.of("role", "queries", "permissions", Map.of("*", "r"))));
        user("martinez", "Martinez", 100, "1990-05-01", "male", true, accountId);
        user("martin_x", "Martin", 9, "1985-01-31", "female", false, accountId);
        user("Zoe", "Zimmer", 10, null, "other", true, otherAccountId);
        user("adam", "adams%", null, "2001-12-24", null, false, otherAccountId);
        user("under_score", "back\\slash", 10000000, "1990-05-01", "male", true, accountId);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void stringsSortByCodePointOfTheLowerCasedValue() {
        assertThat(usernames("sort=username")).containsExactly("adam", "martin_x", "martinez", "under_score", "Zoe");
        assertThat(usernames("sort=username:desc")).containsExactly("Zoe", "under_score", "martinez", "martin_x", "adam");
    }

    @Test
    void numbersSortNumericallyWithMissingValuesLastInBothDirections() {
        assertThat(usernames("sort=netWorth")).containsExactly("martin_x", "Zoe", "martinez", "under_score", "adam");
        assertThat(usernames("sort=netWorth:desc")).containsExactly("under_score", "martinez", "Zoe", "martin_x", "adam");
    }

    @Test
    void datesSortChronologicallyAndIdBreaksTies() {
        List<String> ascending = usernames("sort=dob");
        assertThat(ascending.subList(0, 1)).containsExactly("martin_x");
        assertThat(ascending.subList(1, 3)).containsExactlyInAnyOrder("martinez", "under_score");
        assertThat(ascending.subList(3, 5)).containsExactly("adam", "Zoe");
        JsonNode tied = list("sort=dob&filter=dob:1990-05-01");
        assertThat(tied.path("data").get(0).path("id").asString())
                .isLessThan(tied.path("data").get(1).path("id").asString());
    }

    @Test
    void severalKeysWithEmptySegmentsSkipped() {
        assertThat(usernames("sort=,isAccountOwner:desc,,username:asc,")).containsExactly("martinez", "under_score",
                "Zoe", "adam", "martin_x");
    }

    @Test
    void fieldNamesInSortAndFilterAreCaseInsensitive() {
        assertThat(usernames("sort=USERNAME:DESC")).containsExactly("Zoe", "under_score", "martinez", "martin_x", "adam");
        assertThat(usernames("filter=UserName:adam&FULL_MATCH")).containsExactly("adam");
    }

    @Test
    void sortByIdIsAllowed() {
        List<String> ids = new ArrayList<>();
        list("sort=id:desc").path("data").forEach(d -> ids.add(d.path("id").asString()));
        assertThat(ids).isSortedAccordingTo((a, b) -> b.compareTo(a));
    }

    @Test
    void plainStringEqualityMeansContainsAndFullMatchMeansEquals() {
        assertThat(usernames("filter=username:MARTIN")).containsExactlyInAnyOrder("martinez", "martin_x");
        assertThat(usernames("filter=username:martin&full_match")).isEmpty();
        assertThat(usernames("filter=username:Martinez&full_match=true")).containsExactly("martinez");
        assertThat(usernames("filter=username:martin&full_match=no")).hasSize(2);
    }

    @Test
    void wildcardsInValuesAreLiteral() {
        assertThat(usernames("filter=username:n_x")).containsExactly("martin_x");
        assertThat(usernames("filter=username:N_X")).as("without a trigram, still case-insensitive")
                .containsExactly("martin_x");
        assertThat(usernames("filter=username:_")).containsExactlyInAnyOrder("martin_x", "under_score");
        assertThat(usernames("filter=lastName:s%25")).containsExactly("adam");
        assertThat(usernames("filter=lastName:%25")).containsExactly("adam");
        assertThat(usernames("filter=lastName:k%5Cs")).containsExactly("under_score");
    }

    @Test
    void quotedValuesMayHoldColonsAndCommas() {
        String id = id(create("Url", Map.of("url", "http://x.org/a,b:c")));
        create("Url", Map.of("url", "http://x.org/a"));
        JsonNode found = body(get("/api/Url?filter=url:%22http://x.org/a,b:c%22").exchange()
                .expectStatus().isOk());
        assertThat(found.path("data").size()).isEqualTo(1);
        assertThat(found.path("data").get(0).path("id").asString()).isEqualTo(id);
        JsonNode single = body(get("/api/Url?filter=url:%27a,b:c%27").exchange().expectStatus().isOk());
        assertThat(single.path("data").size()).isEqualTo(1);
    }

    @Test
    void percentEncodedColonsAndEmptySegmentsWork() {
        assertThat(usernames("filter=username%3Aeq%3Aadam,,")).containsExactly("adam");
        assertThat(usernames("filter=")).hasSize(5);
    }

    @Test
    void notEqualExcludesDocumentsWithoutTheField() {
        assertThat(usernames("filter=gender:ne:male")).containsExactlyInAnyOrder("martin_x", "Zoe");
        assertThat(usernames("filter=netWorth:ne:10")).containsExactlyInAnyOrder("martinez", "martin_x", "under_score");
        assertThat(usernames("filter=username:ne:ADAM")).hasSize(4);
    }

    @Test
    void rangesCombineAndAliasesWork() {
        assertThat(usernames("filter=netWorth:gte:10,netWorth:lte:100")).containsExactlyInAnyOrder("Zoe", "martinez");
        assertThat(usernames("filter=netWorth:ge:10,netWorth:le:100")).containsExactlyInAnyOrder("Zoe", "martinez");
        assertThat(usernames("filter=netWorth:gt:10,netWorth:lt:10000000")).containsExactly("martinez");
        assertThat(usernames("filter=username:gt:martin_x,username:lt:zoe")).containsExactlyInAnyOrder("martinez",
                "under_score");
    }

    @Test
    void repeatedEqualityLastWins() {
        assertThat(usernames("filter=username:adam,username:zoe")).containsExactly("Zoe");
    }

    @Test
    void enumAndObjectIdFiltersAreExactIgnoringCase() {
        assertThat(usernames("filter=gender:MALE")).containsExactlyInAnyOrder("martinez", "under_score");
        assertThat(usernames("filter=gender:mal")).isEmpty();
        assertThat(usernames("filter=accountId:ACC-OTHER")).containsExactlyInAnyOrder("Zoe", "adam");
    }

    @ParameterizedTest
    @CsvSource({"true, 3", "YES, 3", "1, 3", "false, 2", "no, 2", "0, 2"})
    void booleansAcceptTheirSpellings(String value, int count) {
        assertThat(usernames("filter=isAccountOwner:" + value)).hasSize(count);
    }

    @Test
    void datesMatchTheDayAndDatetimesTheInstant() {
        assertThat(usernames("filter=dob:1990-05-01")).containsExactlyInAnyOrder("martinez", "under_score");
        assertThat(usernames("filter=dob:lt:1990-01-01")).containsExactly("martin_x");
        String day = list("").path("data").get(0).path("createdAt").asString();
        assertThat(usernames("filter=createdAt:" + day)).hasSize(5);
        String updated = list("sort=updatedAt").path("data").get(0).path("updatedAt").asString();
        assertThat(usernames("filter=updatedAt:" + updated)).hasSize(1);
        assertThat(usernames("filter=updatedAt:gte:2000-01-01")).hasSize(5);
        assertThat(usernames("filter=updatedAt:lt:2000-01-01T00:00:00%2B02:00")).isEmpty();
    }

    @Test
    void arrayFiltersMatchElements() {
        String tag = "t" + UUID.randomUUID().toString().substring(0, 6);
        String music = id(create("Event", event("Concert", List.of("Music", tag))));
        String talk = id(create("Event", event("Talk", List.of("tech", tag))));
        create("Event", event("No tags", null));
        assertThat(ids("Event", "filter=tags:music")).containsExactly(music);
        assertThat(ids("Event", "filter=tags:music,tags:ne:" + tag)).as("a repeated eq/ne: the last wins").isEmpty();
        assertThat(ids("Event", "filter=tags:" + tag + "&sort=title")).containsExactly(music, talk);
        assertThat(ids("Event", "filter=tags:ne:music,title:talk")).containsExactly(talk);
        assertThat(ids("Event", "filter=tags:mus")).isEmpty();
    }

    @Test
    void idFiltersCombineWithOthers() {
        String id = list("filter=username:adam&full_match").path("data").get(0).path("id").asString();
        assertThat(usernames("filter=id:" + id.toUpperCase() + ",username:ada")).containsExactly("adam");
        assertThat(usernames("filter=id:" + id + ",username:zoe")).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "sort=nosuch|sort",
        "sort=username:up|sort",
        "sort=tags|sort",
        "sort=password|sort",
        "filter=nosuch:1|filter",
        "filter=username:like:x|filter",
        "filter=username|filter",
        "filter=username:|filter",
        "filter=username:eq|filter",
        "filter=netWorth:lots|filter",
        "filter=isAccountOwner:maybe|filter",
        "filter=isAccountOwner:gt:true|filter",
        "filter=dob:yesterday|filter",
        "filter=updatedAt:soon|filter",
        "filter=tags:gt:a|filter",
        "filter=password:x|filter",
        "filter=username:\"open|filter",
        "full_match=perhaps|full_match",
        "view=account()|view",
        "view=nosuch(id)|view",
        "view=account(nosuch)|view",
        "view=account|view",
        "view=account(password)|view"})
    void badQueriesAreBadRequestsNamingTheParameter(String query, String parameter) {
        JsonNode response = body(get("/api/User?" + query.replace("\"", "%22")).exchange()
                .expectStatus().isBadRequest());
        JsonNode error = response.path("notifications").path("general").path("errors").get(0);
        assertThat(error.path("type").asString()).isEqualTo("bad_request");
        assertThat(error.path("field").asString()).isEqualTo(parameter);
        assertThat(error.path("message").asString()).isNotBlank().hasSizeLessThanOrEqualTo(100);
    }

    @Test
    void jsonFieldsCannotBeFiltered() {
        get("/api/Role?filter=permissions:x").exchange().expectStatus().isBadRequest();
        get("/api/Url?filter=params:x").exchange().expectStatus().isBadRequest();
    }

    @Test
    void filterErrorsNameTheField() {
        JsonNode response = body(get("/api/User?filter=netWorth:lots").exchange()
                .expectStatus().isBadRequest());
        assertThat(response.path("notifications").path("general").path("errors").get(0).path("message").asString())
                .contains("netWorth");
    }

    @Test
    void viewExpandsForeignKeysWithTheNamedFields() {
        JsonNode page = list("view=account(name,expireDate,id)&sort=username&filter=username:martinez&full_match");
        JsonNode martinez = page.path("data").get(0);
        assertThat(martinez.path("account").path("exists").asBoolean()).isTrue();
        assertThat(martinez.path("account").path("name").asString()).isEqualTo("Alpha Holdings");
        assertThat(martinez.path("account").path("expireDate").asString()).isEqualTo("2027-01-01");
        assertThat(martinez.path("account").path("id").asString()).isEqualTo(accountId);
        assertThat(martinez.has("role")).isFalse();
        List<String> names = List.copyOf(martinez.propertyNames());
        assertThat(names.indexOf("account")).isEqualTo(names.indexOf("accountId") + 1);
        assertThat(page.path("status").asString()).isEqualTo("success");
    }

    @Test
    void viewOnOneDocumentAndOfAnUnrelatedEntity() {
        String id = list("filter=username:zoe").path("data").get(0).path("id").asString();
        JsonNode one = body(get("/api/User/" + id + "?view=ACCOUNT(Name),role(role),event(title)")
                .exchange().expectStatus().isOk());
        assertThat(one.path("data").path("account").path("name").asString()).isEqualTo("Other Holdings");
        assertThat(one.path("data").path("role").path("role").asString()).isEqualTo("queries");
        assertThat(one.path("data").has("event")).isFalse();
    }

    @Test
    void viewOfADanglingKeyWarns() {
        String account = id(create("Account", Map.of("name", "Short Lived")));
        String user = user("dangling" + UUID.randomUUID().toString().substring(0, 6), "Gone", 1, null, null, false,
                account);
        client.delete().uri("/api/Account/{id}", account).exchange().expectStatus().isOk();
        JsonNode one = body(get("/api/User/" + user + "?view=account(name)").exchange()
                .expectStatus().isOk());
        assertThat(one.path("status").asString()).isEqualTo("warning");
        assertThat(one.path("data").path("account").path("exists").asBoolean(true)).isFalse();
        assertThat(one.path("data").path("account").has("name")).isFalse();
        JsonNode warning = one.path("notifications").path(user).path("warnings").get(0);
        assertThat(warning.path("type").asString()).isEqualTo("not_found");
        assertThat(warning.path("field").asString()).isEqualTo("accountId");
        client.delete().uri("/api/User/{id}", user).exchange().expectStatus().isOk();
    }

    @Test
    void streamingReturnsEveryMatchInOrderWithoutEnvelope() {
        String body = new String(get("/api/User?sort=username:desc&filter=city:" + CITY)
                .accept(MediaType.APPLICATION_NDJSON).exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_NDJSON)
                .expectBody().returnResult().getResponseBody());
        List<String> lines = body.lines().toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.stream().map(l -> JSON.readTree(l).path("username").asString()).toList())
                .containsExactly("Zoe", "under_score", "martinez", "martin_x", "adam");
        assertThat(body).doesNotContain("\"pagination\"").doesNotContain("password");
        String paged = new String(get("/api/User?sort=username&filter=city:" + CITY + "&page=2&pageSize=2")
                .accept(MediaType.APPLICATION_NDJSON).exchange().expectStatus().isOk()
                .expectBody().returnResult().getResponseBody());
        assertThat(paged.lines().map(l -> JSON.readTree(l).path("username").asString()).toList())
                .containsExactly("martinez", "under_score");
        String expanded = new String(get("/api/User?view=account(name)&filter=city:" + CITY)
                .accept(MediaType.APPLICATION_NDJSON).exchange().expectStatus().isOk()
                .expectBody().returnResult().getResponseBody());
        assertThat(expanded.lines().map(l -> JSON.readTree(l).path("account").path("exists").asBoolean()).toList())
                .containsOnly(true).hasSize(5);
    }

    @Test
    void streamingErrorsBeforeTheFirstLineUseTheEnvelope() {
        JsonNode response = body(get("/api/User?sort=nosuch").accept(MediaType.APPLICATION_NDJSON)
                .exchange().expectStatus().isBadRequest());
        assertThat(response.path("status").asString()).isEqualTo("error");
    }

    /** api.md 5.5: a stream refused for want of a session is an ordinary 401 envelope, not a stream. */
    @Test
    void streamingWithoutASessionIsA401Envelope() {
        JsonNode response = body(TestServers.anonymous(server).get().uri("/api/User")
                .accept(MediaType.APPLICATION_NDJSON).exchange().expectStatus().isUnauthorized());
        assertThat(response.path("status").asString()).isEqualTo("error");
        assertThat(response.path("notifications").path("general").path("errors").get(0).path("type").asString())
                .isEqualTo("unauthorized");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/User/x?sort=nosuch", "/api/User/x?filter=a:b", "/api/User/x?view=x(y)"})
    void singleDocumentRoutesValidateListParametersToo(String path) {
        get(path).exchange().expectStatus().isBadRequest();
    }

    private static String user(String username, String lastName, Integer netWorth, String dob, String gender,
                               boolean owner, String account) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("username", username);
        body.put("email", username.replace("_", "") + UUID.randomUUID().toString().substring(0, 4) + "@example.com");
        body.put("password", "s3cret-pass");
        body.put("firstName", "First");
        body.put("lastName", lastName);
        body.put("isAccountOwner", owner);
        body.put("city", CITY);
        if (netWorth != null) {
            body.put("netWorth", netWorth);
        }
        if (dob != null) {
            body.put("dob", dob);
        }
        if (gender != null) {
            body.put("gender", gender);
        }
        body.put("accountId", account);
        body.put("roleId", roleId);
        return id(create("User", body));
    }

    private static Map<String, Object> event(String title, List<String> tags) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("url", "https://example.org/" + UUID.randomUUID());
        body.put("title", title + " " + UUID.randomUUID().toString().substring(0, 4));
        body.put("dateTime", "2026-06-01");
        if (tags != null) {
            body.put("tags", tags);
        }
        return body;
    }

    private static List<String> usernames(String query) {
        List<String> names = new ArrayList<>();
        list(query).path("data").forEach(d -> names.add(d.path("username").asString()));
        return names;
    }

    private static List<String> ids(String entity, String query) {
        List<String> ids = new ArrayList<>();
        body(get("/api/" + entity + "?pageSize=1000&" + query).exchange().expectStatus().isOk())
                .path("data").forEach(d -> ids.add(d.path("id").asString()));
        return ids;
    }

    /** Lists this class's users: the query's filter gets the city condition added. */
    private static JsonNode list(String query) {
        String withCity = query.contains("filter=") ? query.replace("filter=", "filter=city:" + CITY + ",")
                : query + (query.isEmpty() ? "" : "&") + "filter=city:" + CITY;
        return body(get("/api/User?pageSize=1000&" + withCity).exchange().expectStatus().isOk());
    }

    /** A GET with the path and query sent exactly as written (no template encoding of '%'). */
    private static WebTestClient.RequestHeadersSpec<?> get(String pathAndQuery) {
        return client.get().uri(URI.create("http://localhost:" + server.port() + pathAndQuery));
    }

    private static JsonNode create(String entity, Map<String, Object> body) {
        return body(client.post().uri("/api/" + entity).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange().expectStatus().isCreated());
    }

    private static String id(JsonNode response) {
        return response.path("data").path("id").asString();
    }

    private static JsonNode body(WebTestClient.ResponseSpec response) {
        return JSON.readTree(response.expectBody().returnResult().getResponseBody());
    }
}
