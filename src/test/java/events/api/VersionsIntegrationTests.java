package events.api;

import static events.api.WriteRequests.account;
import static events.api.WriteRequests.delete;
import static events.api.WriteRequests.get;
import static events.api.WriteRequests.patch;
import static events.api.WriteRequests.post;
import static events.api.WriteRequests.put;
import static events.api.WriteRequests.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.api.WriteRequests.Response;
import events.EventsServer;
import events.support.TestServers;
import events.support.TestSql;

/** Integration tests of versions, ETags and conditional requests (api.md 13) over HTTP against PostgreSQL. */
final class VersionsIntegrationTests {

    private static final String ETAG = "\"[0-9]+\"";
    private static WebTestClient client;
    private static ExecutorService threads;

    @BeforeAll
    static void start() {
        client = TestServers.client(TestServers.shared());
        threads = Executors.newFixedThreadPool(2);
    }

    @AfterAll
    static void stop() {
        threads.shutdownNow();
    }

    @Test
    void everySingleDocumentAnswerCarriesTheVersionAsAStrongEtag() {
        Response created = account(client, "Versioned " + unique());
        String id = created.data().path("id").asString();
        assertThat(created.etag()).matches(ETAG);
        Response fetched = get(client, "/api/Account/" + id);
        assertThat(fetched.etag()).isEqualTo(created.etag());

        Response replaced = put(client, "/api/Account/" + id, Map.of("name", "Versioned again"));
        assertThat(replaced.status()).isEqualTo(200);
        assertThat(replaced.etag()).matches(ETAG).isNotEqualTo(created.etag());
        Response patched = patch(client, "/api/Account/" + id, Map.of("credit", 5));
        assertThat(patched.etag()).matches(ETAG).isNotEqualTo(replaced.etag());
        assertThat(get(client, "/api/Account/" + id).etag()).isEqualTo(patched.etag());

        Response deleted = delete(client, "/api/Account/" + id);
        assertThat(deleted.etag()).isEqualTo(patched.etag());
        Response deletedAgain = delete(client, "/api/Account/" + id);
        assertThat(deletedAgain.etag()).as("no document, no version").isNull();
        assertThat(get(client, "/api/Account?pageSize=1").etag()).as("lists carry no version").isNull();
    }

    @Test
    void aVersionNeverRepeatsForAnIdAcrossDeleteAndRecreate() {
        String id = "again-" + unique();
        List<Long> versions = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            Response created = post(client, "/api/Account", Map.of("id", id, "name", "Recreated " + round));
            assertThat(created.status()).isEqualTo(201);
            versions.add(Long.parseLong(created.etag().replace("\"", "")));
            assertThat(delete(client, "/api/Account/" + id).status()).isEqualTo(200);
        }
        assertThat(versions).doesNotHaveDuplicates().isSorted();
    }

    @Test
    void ifNoneMatchWithTheCurrentVersionIsNotModifiedWithoutBody() {
        Response created = account(client, "Cached " + unique());
        String uri = "/api/Account/" + created.data().path("id").asString();
        String etag = created.etag();
        for (String header : new String[] {etag, "W/" + etag, "\"0\", " + etag, "*"}) {
            Response cached = get(client, uri, "If-None-Match", header);
            assertThat(cached.status()).as(header).isEqualTo(304);
            assertThat(cached.raw()).isEmpty();
            assertThat(cached.etag()).isEqualTo(etag);
        }
        Response changed = get(client, uri, "If-None-Match", "\"0\"");
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.data().path("name").asString()).startsWith("Cached");
    }

    @Test
    void ifMatchWithAnotherVersionIs412AndChangesNothing() {
        Response created = account(client, "Guarded " + unique());
        String id = created.data().path("id").asString();
        String uri = "/api/Account/" + id;
        String stale = "\"0\"";
        put(client, uri, Map.of("name", "Replaced badly"), "If-Match", stale).error(id, "precondition_failed");
        assertThat(put(client, uri, Map.of("name", "Replaced badly"), "If-Match", stale).status()).isEqualTo(412);
        patch(client, uri, Map.of("name", "Patched badly"), "If-Match", stale).error(id, "precondition_failed");
        delete(client, uri, "If-Match", "W/" + created.etag()).error(id, "precondition_failed");
        Response after = get(client, uri);
        assertThat(after.data()).isEqualTo(created.data());
        assertThat(after.etag()).isEqualTo(created.etag());
    }

    @Test
    void ifMatchWithTheCurrentVersionOrAStarWrites() {
        Response created = account(client, "Matched " + unique());
        String uri = "/api/Account/" + created.data().path("id").asString();
        Response replaced = put(client, uri, Map.of("name", "Matched once"), "If-Match", "\"0\", " + created.etag());
        assertThat(replaced.status()).isEqualTo(200);
        Response patched = patch(client, uri, Map.of("name", "Matched twice"), "If-Match", "*");
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.data().path("name").asString()).isEqualTo("Matched twice");
        Response deleted = delete(client, uri, "If-Match", patched.etag());
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(get(client, uri).status()).isEqualTo(404);
    }

    @Test
    void ifMatchOnAMissingDocumentIs404ForPutAndPatchAnd412ForDelete() {
        String id = "missing-" + unique();
        String uri = "/api/Account/" + id;
        put(client, uri, Map.of("name", "Nobody here"), "If-Match", "*").error(id, "not_found");
        patch(client, uri, Map.of("name", "Nobody here"), "If-Match", "\"5\"").error(id, "not_found");
        Response deleted = delete(client, uri, "If-Match", "*");
        assertThat(deleted.status()).isEqualTo(412);
        deleted.error(id, "precondition_failed");
        assertThat(delete(client, uri).status()).as("without If-Match DELETE stays idempotent").isEqualTo(200);
    }

    @Test
    void errorsComeInTheOrderOfSection13() {
        Response account = account(client, "Ordered " + unique());
        String accountId = account.data().path("id").asString();
        String missingId = "nobody-" + unique();
        String missing = "/api/Account/" + missingId;
        // 422 (validation) before 404 and 412
        put(client, missing, Map.of("name", "x"), "If-Match", "\"0\"").error(missingId, "validation_failed");
        // 404 before 412
        assertThat(put(client, missing, Map.of("name", "Long enough"), "If-Match", "\"0\"").status()).isEqualTo(404);
        // 412 before the foreign keys (422) and unique keys (409)
        Response user = post(client, "/api/User", user("order" + unique(), accountId));
        assertThat(user.status()).as(user.body().toString()).isEqualTo(201);
        String userUri = "/api/User/" + user.data().path("id").asString();
        Map<String, Object> dangling = user("order" + unique(), "no-such-account");
        assertThat(put(client, userUri, dangling, "If-Match", "\"0\"").status()).isEqualTo(412);
        assertThat(put(client, userUri, dangling, "If-Match", user.etag()).status()).isEqualTo(422);
        // foreign keys (422) before unique keys (409)
        Response other = post(client, "/api/User", user("taken" + unique(), accountId));
        Map<String, Object> duplicate = user(other.data().path("username").asString(), "no-such-account");
        assertThat(patch(client, userUri, Map.of("username", duplicate.get("username"), "accountId", "no-such-account"),
                "If-Match", user.etag()).status()).isEqualTo(422);
        Response conflict = patch(client, userUri, Map.of("username", duplicate.get("username")), "If-Match", user.etag());
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(get(client, userUri).etag()).isEqualTo(user.etag());
    }

    @ParameterizedTest
    @ValueSource(strings = {"17", "\"unterminated", "W/17", "\"a\" \"b\"", ",", "\"a\"x", "**"})
    void aMalformedPreconditionIsA400NamingTheHeader(String header) {
        Response created = account(client, "Malformed " + unique());
        String uri = "/api/Account/" + created.data().path("id").asString();
        for (Response response : List.of(put(client, uri, Map.of("name", "Never stored"), "If-Match", header),
                patch(client, uri, Map.of("name", "Never stored"), "If-Match", header),
                delete(client, uri, "If-Match", header))) {
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.error("general", "bad_request").path("field").asString()).isEqualTo("If-Match");
        }
        Response cached = get(client, uri, "If-None-Match", header);
        assertThat(cached.error("general", "bad_request").path("field").asString()).isEqualTo("If-None-Match");
        assertThat(get(client, uri).data()).isEqualTo(created.data());
    }

    /** Two clients write with the same If-Match at the same moment: exactly one wins, the other changes nothing. */
    @Test
    void ofTwoRacingWritesWithTheSameVersionExactlyOneWins() throws Exception {
        for (int round = 0; round < 10; round++) {
            Response created = account(client, "Raced " + unique());
            String uri = "/api/Account/" + created.data().path("id").asString();
            String version = created.etag();
            CountDownLatch go = new CountDownLatch(1);
            boolean patchRound = round % 2 == 1;
            List<Future<Response>> writes = new ArrayList<>();
            for (String name : new String[] {"Winner A " + round, "Winner B " + round}) {
                writes.add(threads.submit(() -> {
                    go.await();
                    return patchRound ? patch(client, uri, Map.of("name", name), "If-Match", version)
                            : put(client, uri, Map.of("name", name), "If-Match", version);
                }));
            }
            go.countDown();
            Response first = writes.get(0).get(30, TimeUnit.SECONDS);
            Response second = writes.get(1).get(30, TimeUnit.SECONDS);
            assertThat(List.of(first.status(), second.status())).containsExactlyInAnyOrder(200, 412);
            Response winner = first.status() == 200 ? first : second;
            Response stored = get(client, uri);
            assertThat(stored.data().path("name").asString()).isEqualTo(winner.data().path("name").asString());
            assertThat(stored.etag()).isEqualTo(winner.etag());
        }
    }

    /** A table made before versions existed gets the column at start-up, with a distinct version per row. */
    @Test
    void startUpAddsVersionsToTablesThatHaveNone() {
        String database = "events_it_versions_" + ProcessHandle.current().pid();
        Map<String, String> environment = Map.of("EVENTS_SCHEMA", WriteRequests.SCHEMA, "EVENTS_DB_NAME", database);
        TestServers.start(environment).close();
        TestSql.query(database, "ALTER TABLE \"Parent\" DROP COLUMN version");
        TestSql.query(database, "INSERT INTO \"Parent\" (id, data) VALUES ('old-1', '{\"name\": \"Old one\"}'), "
                + "('old-2', '{\"name\": \"Old two\"}')");
        try (EventsServer server = TestServers.start(environment)) {
            WebTestClient upgraded = TestServers.client(server);
            String first = get(upgraded, "/api/Parent/old-1").etag();
            String second = get(upgraded, "/api/Parent/old-2").etag();
            assertThat(first).matches(ETAG).isNotEqualTo(second);
            Response patched = patch(upgraded, "/api/Parent/old-1", Map.of("name", "Old one, patched"), "If-Match", first);
            assertThat(patched.status()).isEqualTo(200);
            assertThat(patched.etag()).isNotEqualTo(first).isNotEqualTo(second);
        }
    }

    static Map<String, Object> user(String username, String accountId) {
        return new java.util.LinkedHashMap<>(Map.of("username", username, "email", username + "@example.com",
                "password", "s3cret-pass", "firstName", "Mary", "lastName", "Grant", "isAccountOwner", true,
                "accountId", accountId, "roleId", "test-admin-role"));
    }
}
