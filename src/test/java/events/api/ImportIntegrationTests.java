package events.api;

import static events.api.WriteRequests.get;
import static events.api.WriteRequests.post;
import static events.api.WriteRequests.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.test.web.reactive.server.WebTestClient;

import events.EventsServer;
import events.api.WriteRequests.Response;
import events.support.RawHttp;
import events.support.TestServers;
import events.support.TestSql;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /api/{E}/_import} (api.md 12.2) over real HTTP against PostgreSQL: batches, bad lines by
 * line number, the atomic mode, the progress stream, the caps, the errors that come before the body, kept
 * bcrypt hashes, and a client that goes away mid-body.
 */
final class ImportIntegrationTests {

    private static final String NDJSON = "application/x-ndjson";
    private static EventsServer writes;
    private static WebTestClient client;
    private static EventsServer events;
    private static WebTestClient admin;
    private static String parentId;

    @BeforeAll
    static void start() {
        writes = WriteRequests.writesServer();
        client = TestServers.client(writes);
        events = TestServers.shared();
        admin = TestServers.client(events);
        parentId = post(client, "/api/Parent", Map.of("name", "Import parent " + unique())).data().path("id").asString();
    }

    @Test
    void linesAreStoredAsCreatesWouldStoreThem() {
        String tag = unique();
        String body = "{\"id\": \"Imp-" + tag + "-1\", \"code\": \"" + tag + "-1\", \"size\": 3, \"parentId\": \"" + parentId + "\"}\n"
                + "\n"
                + "{\"code\": \"" + tag + "-2\", \"parentId\": \"" + parentId.toUpperCase() + "\"}\r\n"
                + "{\"id\": \"imp-" + tag + "-3\", \"code\": \"" + tag + "-3\", \"parentId\": \"" + parentId
                + "\", \"createdAt\": \"2020-02-02T02:02:02Z\"}";
        Response answer = importing(client, "/api/Child/_import", body);
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        assertThat(answer.body().path("data").toString()).isEqualTo("{\"received\":3,\"created\":3,\"failed\":0}");
        assertThat(answer.body().path("status").asString()).isEqualTo("success");
        assertThat(answer.body().path("notifications").isEmpty()).isTrue();

        JsonNode first = get(client, "/api/Child/imp-" + tag + "-1").data();
        assertThat(first.path("size").asInt()).isEqualTo(3);
        assertThat(first.path("createdAt").asString()).isNotBlank();
        assertThat(get(client, "/api/Child/imp-" + tag + "-3").data().path("createdAt").asString())
                .as("a value sent for an automatic field is kept").isEqualTo("2020-02-02T02:02:02.000Z");
        JsonNode second = get(client, "/api/Child?filter=code:" + tag + "-2&full_match").data().path(0);
        assertThat(second.path("id").asString()).as("a new ULID").hasSize(26);
        assertThat(second.path("parentId").asString()).isEqualTo(parentId);
    }

    @Test
    void badLinesAreReportedByLineNumberAndSkipped() {
        String tag = unique();
        List<String> lines = List.of(
                child(tag, "ok-1", parentId),                                                   // 1
                "{\"code\": \"" + tag + "-broken\", ",                                          // 2 syntax
                "{\"code\": \"x\", \"size\": 500, \"parentId\": \"" + parentId + "\"}",           // 3 validation
                "[1, 2]",                                                                       // 4 not an object
                child(tag, "orphan", "no-such-parent-" + tag),                                  // 5 foreign key
                "{\"id\": \"dup-" + tag + "\", \"code\": \"" + tag + "-a\", \"parentId\": \"" + parentId + "\"}", // 6
                "{\"id\": \"DUP-" + tag + "\", \"code\": \"" + tag + "-b\", \"parentId\": \"" + parentId + "\"}", // 7 id again
                child(tag, "ok-1", parentId),                                                   // 8 unique code again
                "{\"code\": \"" + tag + "-\\ud800\", \"parentId\": \"" + parentId + "\"}",        // 9 lone surrogate
                child(tag, "ok-2", parentId));                                                  // 10
        Response answer = importing(client, "/api/Child/_import", String.join("\n", lines) + "\n");
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        assertThat(answer.body().path("data").toString()).isEqualTo("{\"received\":10,\"created\":3,\"failed\":7}");
        assertThat(answer.body().path("status").asString()).isEqualTo("error");
        JsonNode notifications = answer.body().path("notifications");
        assertThat(notifications.propertyNames()).containsExactly("line 2", "line 3", "line 4", "line 5", "line 7",
                "line 8", "line 9");
        assertLineError(notifications, "line 2", "bad_request", null);
        assertThat(notifications.path("line 2").path("errors").path(0).path("message").asString()).startsWith("Line is not valid JSON");
        assertThat(notifications.path("line 3").path("errors").findValuesAsString("field")).containsExactlyInAnyOrder("code", "size");
        assertLineError(notifications, "line 3", "validation_failed", "code");
        assertLineError(notifications, "line 4", "bad_request", null);
        assertLineError(notifications, "line 5", "validation_failed", "parentId");
        assertLineError(notifications, "line 7", "conflict", "id");
        assertLineError(notifications, "line 8", "conflict", "code");
        assertLineError(notifications, "line 9", "bad_request", "code");
        assertThat(get(client, "/api/Child/dup-" + tag).data().path("code").asString()).isEqualTo(tag + "-a");
        assertThat(get(client, "/api/Child?filter=code:" + tag + "&pageSize=100").body().path("pagination").path("total").asInt())
                .isEqualTo(3);
    }

    @Test
    void anAtomicImportStoresNothingWhenOneLineFails() {
        String tag = unique();
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 2500; i++) {
            body.append(child(tag, "n" + i, parentId)).append('\n');
        }
        body.append(child(tag, "n7", parentId)).append('\n');              // line 2501: a duplicate code
        body.append("{\"code\": \"y\", \"parentId\": \"").append(parentId).append("\"}\n"); // 2502: too short
        Response answer = importing(client, "/api/Child/_import?MODE=Atomic", body.toString());
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        assertThat(answer.body().path("data").toString()).isEqualTo("{\"received\":2502,\"created\":0,\"failed\":2}");
        assertThat(answer.body().path("status").asString()).isEqualTo("error");
        assertLineError(answer.body().path("notifications"), "line 2501", "conflict", "code");
        assertLineError(answer.body().path("notifications"), "line 2502", "validation_failed", "code");
        assertThat(answer.body().path("notifications").path("general").path("warnings").path(0).path("message").asString())
                .startsWith("Nothing was stored");
        assertThat(count("Child", "code:" + tag)).isZero();

        Response good = importing(client, "/api/Child/_import?mode=atomic",
                child(tag, "a1", parentId) + "\n" + child(tag, "a2", parentId) + "\n");
        assertThat(good.body().path("data").toString()).isEqualTo("{\"received\":2,\"created\":2,\"failed\":0}");
        assertThat(count("Child", "code:" + tag)).isEqualTo(2);
    }

    @Test
    void aLineNamingALineOfItsBatchThatFailsIsSkippedWithIt() {
        String tag = unique();
        post(client, "/api/Folder", Map.of("name", "taken-" + tag));
        String body = folder(tag, "f1", "taken-" + tag, null)                     // 1 duplicate name
                + folder(tag, "f2", "n2-" + tag, "f1")                            // 2 names line 1
                + folder(tag, "f3", "n3-" + tag, "f3")                            // 3 names itself
                + folder(tag, "f4", "n4-" + tag, "f5")                            // 4 names line 5, stored
                + folder(tag, "f5", "n5-" + tag, null);                           // 5
        Response answer = importing(client, "/api/Folder/_import", body);
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        assertThat(answer.body().path("data").toString()).isEqualTo("{\"received\":5,\"created\":3,\"failed\":2}");
        JsonNode notifications = answer.body().path("notifications");
        assertThat(notifications.propertyNames()).containsExactly("line 1", "line 2");
        assertLineError(notifications, "line 1", "conflict", "name");
        JsonNode error = assertLineError(notifications, "line 2", "validation_failed", "folderId");
        assertThat(error.path("message").asString()).isEqualTo("Folder f1-" + tag + " is not stored: line 1 failed");
        assertThat(get(client, "/api/Folder/f2-" + tag).status()).isEqualTo(404);
        assertThat(get(client, "/api/Folder/f3-" + tag).data().path("folderId").asString()).isEqualTo("f3-" + tag);
        assertThat(get(client, "/api/Folder/f4-" + tag).data().path("folderId").asString()).isEqualTo("f5-" + tag);
        assertNoDanglingFolder();
    }

    @Test
    void chainsOfLinesFailWithTheLineTheyEndIn() {
        String tag = unique();
        post(client, "/api/Folder", Map.of("name", "taken-a-" + tag));
        post(client, "/api/Folder", Map.of("name", "taken-b-" + tag));
        String body = folder(tag, "a1", "taken-a-" + tag, null)                   // 1 duplicate name
                + folder(tag, "a2", "a2-" + tag, "a1")                            // 2 -> 1
                + folder(tag, "a3", "a3-" + tag, "a2")                            // 3 -> 2 -> 1
                + folder(tag, "b1", "b1-" + tag, "b2")                            // 4 -> 5 -> 6
                + folder(tag, "b2", "b2-" + tag, "b3")                            // 5 -> 6
                + folder(tag, "b3", "taken-b-" + tag, null)                       // 6 duplicate name
                + folder(tag, "c1", "c1-" + tag, "nowhere")                       // 7 no such folder
                + folder(tag, "c2", "c2-" + tag, "c1")                            // 8 -> 7
                + folder(tag, "c3", "c3-" + tag, "c2")                            // 9 -> 8 -> 7
                + folder(tag, "d1", "d1-" + tag, null)                            // 10
                + folder(tag, "d2", "d2-" + tag, "d1");                           // 11 -> 10, stored
        Response answer = importing(client, "/api/Folder/_import", body);
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        assertThat(answer.body().path("data").toString()).isEqualTo("{\"received\":11,\"created\":2,\"failed\":9}");
        JsonNode notifications = answer.body().path("notifications");
        assertThat(notifications.propertyNames()).containsExactly("line 1", "line 2", "line 3", "line 4", "line 5",
                "line 6", "line 7", "line 8", "line 9");
        assertLineError(notifications, "line 1", "conflict", "name");
        assertLineError(notifications, "line 6", "conflict", "name");
        assertThat(assertLineError(notifications, "line 7", "validation_failed", "folderId").path("message").asString())
                .isEqualTo("Folder nowhere-" + tag + " does not exist");
        Map<String, String> names = Map.of("line 2", "line 1", "line 3", "line 2", "line 4", "line 5",
                "line 5", "line 6", "line 8", "line 7", "line 9", "line 8");
        names.forEach((line, target) -> assertThat(assertLineError(notifications, line, "validation_failed", "folderId")
                .path("message").asString()).endsWith("is not stored: " + target + " failed"));
        assertThat(count("Folder", "name:" + tag)).as("the two posted before, d1 and d2").isEqualTo(4);
        assertNoDanglingFolder();
    }

    @Test
    void anAtomicImportWithAChainEndingInABadLineStoresNothing() {
        String tag = unique();
        post(client, "/api/Folder", Map.of("name", "taken-" + tag));
        String body = folder(tag, "ok", "ok-" + tag, null)                        // 1
                + folder(tag, "x3", "x3-" + tag, "x2")                            // 2 -> 3 -> 4
                + folder(tag, "x2", "x2-" + tag, "x1")                            // 3 -> 4
                + folder(tag, "x1", "taken-" + tag, "ok");                        // 4 duplicate name
        Response answer = importing(client, "/api/Folder/_import?mode=atomic", body);
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        assertThat(answer.body().path("data").toString()).isEqualTo("{\"received\":4,\"created\":0,\"failed\":3}");
        JsonNode notifications = answer.body().path("notifications");
        assertThat(notifications.propertyNames()).containsExactly("line 2", "line 3", "line 4", "general");
        assertLineError(notifications, "line 2", "validation_failed", "folderId");
        assertLineError(notifications, "line 3", "validation_failed", "folderId");
        assertLineError(notifications, "line 4", "conflict", "name");
        assertThat(count("Folder", "name:" + tag)).as("only the document posted before").isEqualTo(1);
        assertNoDanglingFolder();
    }

    @Test
    void theProgressStreamHasALinePerBatchAndTheSummaryLast() {
        String tag = unique();
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 2500; i++) {
            body.append(i == 1200 ? "{oops}" : child(tag, "p" + i, parentId)).append('\n');
        }
        var result = client.post().uri("/api/Child/_import").contentType(MediaType.parseMediaType(NDJSON))
                .accept(MediaType.APPLICATION_NDJSON).bodyValue(body.toString()).exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_NDJSON)
                .expectBody(String.class).returnResult();
        List<JsonNode> lines = result.getResponseBody().lines().map(WriteRequests.JSON::readTree).toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.subList(0, 3).stream().map(JsonNode::toString).toList()).containsExactly(
                "{\"received\":1000,\"created\":1000,\"failed\":0}",
                "{\"received\":2000,\"created\":1999,\"failed\":1}",
                "{\"received\":2500,\"created\":2499,\"failed\":1}");
        JsonNode summary = lines.get(3);
        assertThat(summary.path("data").toString()).isEqualTo("{\"received\":2500,\"created\":2499,\"failed\":1}");
        assertLineError(summary.path("notifications"), "line 1201", "bad_request", null);
    }

    @Test
    void atMostAThousandFailedLinesAreListedAndTheRestCounted() {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 1250; i++) {
            body.append("{\"code\": \"z\"}\n");
        }
        Response answer = importing(client, "/api/Child/_import", body.toString());
        assertThat(answer.body().path("data").toString()).isEqualTo("{\"received\":1250,\"created\":0,\"failed\":1250}");
        JsonNode notifications = answer.body().path("notifications");
        assertThat(notifications.size()).isEqualTo(1001);
        assertThat(notifications.has("line 1000")).isTrue();
        assertThat(notifications.has("line 1001")).isFalse();
        JsonNode general = notifications.path("general").path("warnings").path(0);
        assertThat(general.path("message").asString()).isEqualTo("250 more failed lines are not listed (the first 1000 are)");
    }

    @Test
    void unknownFieldsAreOneWarningPerFieldNotPerLine() {
        String tag = unique();
        String body = "{\"code\": \"" + tag + "-1\", \"parentId\": \"" + parentId + "\", \"colour\": 1}\n"
                + "{\"code\": \"" + tag + "-2\", \"parentId\": \"" + parentId + "\", \"colour\": 2, \"parent\": {}}\n";
        Response answer = importing(client, "/api/Child/_import", body);
        assertThat(answer.body().path("status").asString()).isEqualTo("warning");
        JsonNode warning = answer.body().path("notifications").path("general").path("warnings");
        assertThat(warning.size()).isEqualTo(1);
        assertThat(warning.path(0).path("type").asString()).isEqualTo("ignored");
        assertThat(warning.path(0).path("field").asString()).isEqualTo("colour");
        assertThat(warning.path(0).path("message").asString()).contains("(2 lines)");
    }

    @Test
    void aLineOverOneMibIsReportedInSkipModeAndFailsAnAtomicImport() {
        String tag = unique();
        String huge = "{\"code\": \"" + tag + "-huge\", \"parentId\": \"" + parentId + "\", \"pad\": \""
                + "x".repeat(1024 * 1024 + 10) + "\"}";
        String body = child(tag, "before", parentId) + "\n" + huge + "\n" + child(tag, "after", parentId) + "\n";
        Response skipped = importing(client, "/api/Child/_import", body);
        assertThat(skipped.body().path("data").toString()).isEqualTo("{\"received\":3,\"created\":2,\"failed\":1}");
        JsonNode error = assertLineError(skipped.body().path("notifications"), "line 2", "payload_too_large", null);
        assertThat(error.path("message").asString()).isEqualTo("Line is larger than 1048576 bytes");

        String other = unique();
        Response atomic = importing(client, "/api/Child/_import?mode=atomic",
                child(other, "before", parentId) + "\n" + huge + "\n");
        assertThat(atomic.body().path("data").toString()).isEqualTo("{\"received\":2,\"created\":0,\"failed\":1}");
        assertThat(count("Child", "code:" + other)).isZero();
    }

    @Test
    void requestsRefusedBeforeTheBodyGetTheirEnvelope() {
        Response unknown = importing(client, "/api/Nosuch/_import", "{}\n");
        assertThat(unknown.status()).isEqualTo(404);
        unknown.error("general", "not_found");
        Response media = WriteRequests.sendTyped(client, HttpMethod.POST, "/api/Child/_import", "{}\n", "application/json");
        assertThat(media.status()).isEqualTo(415);
        assertThat(media.error("general", "unsupported_media_type").path("message").asString())
                .isEqualTo("An import takes UTF-8 application/x-ndjson, not application/json");
        Response latin = WriteRequests.sendTyped(client, HttpMethod.POST, "/api/Child/_import", "{}\n",
                "application/x-ndjson; charset=ISO-8859-1");
        assertThat(latin.status()).isEqualTo(415);
        Response mode = importing(client, "/api/Child/_import?mode=partial", "{}\n");
        assertThat(mode.status()).isEqualTo(400);
        assertThat(mode.error("general", "bad_request").path("field").asString()).isEqualTo("mode");
        Response parameter = importing(client, "/api/Child/_import?page=2", "{}\n");
        assertThat(parameter.status()).isEqualTo(400);
        assertThat(parameter.error("general", "bad_request").path("field").asString()).isEqualTo("page");
        Response anonymous = importing(TestServers.anonymous(events), "/api/Account/_import", "{}\n");
        assertThat(anonymous.status()).isEqualTo(401);
        Response empty = importing(client, "/api/Child/_import", "");
        assertThat(empty.body().path("data").toString()).isEqualTo("{\"received\":0,\"created\":0,\"failed\":0}");
    }

    @Test
    void withoutCTheAnswerIs403BeforeTheBodyIsRead() throws Exception {
        String tag = unique();
        String cookie = login(tag, "{\"*\": \"r\"}");
        // Headers promising 50 MB, and no body at all: the 403 must come without waiting for it.
        try (RawHttp http = RawHttp.connect(events.port(), Duration.ofSeconds(10))) {
            http.send("POST /api/Account/_import HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n"
                    + "Cookie: sessionId=" + cookie + "\r\nContent-Length: 50000000\r\n\r\n");
            RawHttp.Response answer = http.read();
            assertThat(answer.status()).isEqualTo(403);
            assertThat(answer.json().path("notifications").path("general").path("errors").path(0).path("type")
                    .asString()).isEqualTo("forbidden");
        }
        // c, but a wrong content type: 415 (after the permission, api.md 3.5).
        String writer = login(unique(), "{\"*\": \"r\", \"Account\": \"c\"}");
        try (RawHttp http = RawHttp.connect(events.port(), Duration.ofSeconds(10))) {
            RawHttp.Response answer = http.send("POST /api/Account/_import HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: text/csv\r\nCookie: sessionId=" + writer + "\r\nContent-Length: 3\r\n\r\na,b").read();
            assertThat(answer.status()).isEqualTo(415);
        }
    }

    @Test
    void bcryptHashesAreKeptForAnImporterWithSAndTheirOwnersLogIn() {
        String tag = unique();
        String role = "imp-role-" + tag;
        assertThat(post(admin, "/api/Role", Map.of("id", role, "role", "Imported", "permissions", Map.of("*", "r")))
                .status()).isEqualTo(201);
        // Hashes as another system made them: three bcrypt versions, other costs.
        String a = new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2A, 4).encode("alpha-password");
        String b = new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2B, 5).encode("bravo-password");
        String y = new BCryptPasswordEncoder(BCryptPasswordEncoder.BCryptVersion.$2Y, 6).encode("yankee-password");
        String body = principal("alpha-" + tag, a, role) + principal("bravo-" + tag, b, role)
                + principal("yankee-" + tag, y, role) + principal("plain-" + tag, "plain-password", role);
        Response answer = importing(admin, "/api/Auth/_import", body);
        assertThat(answer.body().path("data").toString()).as(answer.body().toString())
                .isEqualTo("{\"received\":4,\"created\":4,\"failed\":0}");
        assertThat(storedPassword("alpha-" + tag)).isEqualTo(a);
        assertThat(storedPassword("yankee-" + tag)).isEqualTo(y);
        assertThat(storedPassword("plain-" + tag)).startsWith("$2a$10$");
        assertLogsIn("alpha-" + tag, "alpha-password");
        assertLogsIn("bravo-" + tag, "bravo-password");
        assertLogsIn("yankee-" + tag, "yankee-password");
        assertLogsIn("plain-" + tag, "plain-password");
        assertThat(get(admin, "/api/Auth/" + "alpha-" + tag).data().has("password")).as("never returned").isFalse();
    }

    @Test
    void withoutSAHashIsHashedLikeAnyPassword() {
        String tag = unique();
        String cookie = login(tag, "{\"*\": \"r\", \"Auth\": \"cru\"}");
        String hash = new BCryptPasswordEncoder(4).encode("secret-password");
        WebTestClient importer = TestServers.anonymous(events).mutate().defaultCookie("sessionId", cookie).build();
        Response answer = importing(importer, "/api/Auth/_import", principal("nos-" + tag, hash, "test-admin-role"));
        assertThat(answer.body().path("data").path("created").asInt()).as(answer.body().toString()).isEqualTo(1);
        assertThat(storedPassword("nos-" + tag)).isNotEqualTo(hash).startsWith("$2a$10$");
        login(events, "nos-" + tag, "secret-password", 401);
        login(events, "nos-" + tag, hash, 200);
    }

    @Test
    void aClientThatLeavesMidBodyLeavesOnlyWholeBatchesAndNoTransaction() throws Exception {
        for (String mode : List.of("skip", "atomic")) {
            String tag = unique();
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < 2600; i++) {
                lines.append(child(tag, "c" + i, parentId)).append('\n');
            }
            byte[] sent = (lines + "{\"code\": \"" + tag + "-cut").getBytes(StandardCharsets.UTF_8);
            try (RawHttp http = RawHttp.connect(writes.port(), Duration.ofSeconds(10))) {
                http.send(("POST /api/Child/_import?mode=" + mode + " HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: application/x-ndjson\r\nContent-Length: " + (sent.length + 100000) + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                http.send(sent);
                TimeUnit.MILLISECONDS.sleep(1500); // the two whole batches reach the database
                http.reset();
            }
            assertNoBackendInTransaction(WriteRequests.DATABASE);
            int stored = count("Child", "code:" + tag);
            if (mode.equals("skip")) {
                assertThat(stored).as("whole batches only").isIn(0, 1000, 2000);
            } else {
                assertThat(stored).as("an atomic import that did not finish stores nothing").isZero();
            }
            // What was committed is what an export reports.
            String export = client.get().uri("/api/Child?filter=code:" + tag).accept(MediaType.APPLICATION_NDJSON)
                    .exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
            assertThat(export == null ? 0 : export.lines().count()).isEqualTo(stored);
        }
        // The server is fine afterwards.
        assertThat(importing(client, "/api/Child/_import", child(unique(), "after", parentId)).status()).isEqualTo(200);
    }

    @Test
    void aClientThatStopsSendingGetsA408AndItsTransactionEnds() throws Exception {
        try (EventsServer stalls = TestServers.start(Map.of("EVENTS_SCHEMA", WriteRequests.SCHEMA,
                "EVENTS_STREAM_STALL_SECONDS", "2"))) {
            WebTestClient open = TestServers.client(stalls);
            String parent = post(open, "/api/Parent", Map.of("name", "Stall parent")).data().path("id").asString();
            String database = TestServers.database(stalls);
            // Progress answer: a batch went through, then the body stalls; the error is the last line.
            String tag = unique();
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < 1500; i++) {
                lines.append(child(tag, "s" + i, parent)).append('\n');
            }
            try (RawHttp http = RawHttp.connect(stalls.port(), Duration.ofSeconds(20))) {
                http.send("POST /api/Child/_import HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n"
                        + "Accept: application/x-ndjson\r\nContent-Length: 10000000\r\n\r\n" + lines);
                RawHttp.Response answer = http.read();
                assertThat(answer.status()).isEqualTo(200);
                List<String> received = answer.text().lines().toList();
                assertThat(received.get(0)).isEqualTo("{\"received\":1000,\"created\":1000,\"failed\":0}");
                JsonNode last = WriteRequests.JSON.readTree(received.get(received.size() - 1));
                assertThat(last.path("status").asString()).isEqualTo("error");
                assertThat(last.path("notifications").path("general").path("errors").path(0).path("message").asString())
                        .isEqualTo("The request body stalled: nothing arrived for 2 s");
            }
            assertNoBackendInTransaction(database);
            assertThat(get(open, "/api/Child?pageSize=1&filter=code:" + tag).body().path("pagination").path("total")
                    .asInt()).isEqualTo(1000);
            // Atomic, plain answer: a 408, and the transaction that held 500 lines is gone.
            String atomic = unique();
            try (RawHttp http = RawHttp.connect(stalls.port(), Duration.ofSeconds(20))) {
                StringBuilder some = new StringBuilder();
                for (int i = 0; i < 500; i++) {
                    some.append(child(atomic, "a" + i, parent)).append('\n');
                }
                http.send("POST /api/Child/_import?mode=atomic HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: application/x-ndjson\r\nContent-Length: 10000000\r\n\r\n" + some);
                RawHttp.Response answer = http.read();
                assertThat(answer.status()).isEqualTo(408);
                assertThat(answer.json().path("notifications").path("general").path("errors").path(0).path("type")
                        .asString()).isEqualTo("bad_request");
            }
            assertNoBackendInTransaction(database);
            assertThat(get(open, "/api/Child?pageSize=1&filter=code:" + atomic).body().path("pagination").path("total")
                    .asInt()).isZero();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Response importing(WebTestClient client, String uri, String body) {
        return WriteRequests.sendTyped(client, HttpMethod.POST, uri, body, NDJSON);
    }

    private static String child(String tag, String code, String parent) {
        return "{\"code\": \"" + tag + "-" + code + "\", \"parentId\": \"" + parent + "\"}";
    }

    /** A line of Folder with id {@code <key>-<tag>}, naming folder {@code <parent>-<tag>} unless null. */
    private static String folder(String tag, String key, String name, String parent) {
        return "{\"id\": \"" + key + "-" + tag + "\", \"name\": \"" + name + "\""
                + (parent == null ? "" : ", \"folderId\": \"" + parent + "-" + tag + "\"") + "}\n";
    }

    /** No stored Folder names a Folder that does not exist. */
    private static void assertNoDanglingFolder() {
        List<Map<String, Object>> dangling = TestSql.query(WriteRequests.DATABASE, "SELECT f.id, f.data->>'folderId' AS "
                + "folder FROM \"Folder\" f WHERE f.data->>'folderId' IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                + "\"Folder\" p WHERE p.id = f.data->>'folderId')");
        assertThat(dangling).as("stored folders naming a missing folder").isEmpty();
    }

    private static String principal(String name, String password, String role) {
        return "{\"id\": \"" + name + "\", \"name\": \"" + name + "\", \"password\": \"" + password + "\", \"roleId\": \""
                + role + "\"}\n";
    }

    private static JsonNode assertLineError(JsonNode notifications, String key, String type, String field) {
        JsonNode error = notifications.path(key).path("errors").path(0);
        assertThat(error.isMissingNode()).as("an error under " + key + " in " + notifications).isFalse();
        assertThat(error.path("type").asString()).as(key + " in " + notifications).isEqualTo(type);
        assertThat(error.path("message").asString()).isNotBlank().hasSizeLessThanOrEqualTo(100);
        if (field != null) {
            assertThat(error.path("field").asString()).as(key + " in " + notifications).isEqualTo(field);
        }
        assertThat(notifications.path(key).path("warnings").isArray()).isTrue();
        return error;
    }

    private static int count(String entity, String filter) {
        return get(client, "/api/" + entity + "?pageSize=1&filter=" + filter).body().path("pagination").path("total").asInt();
    }

    private static String storedPassword(String id) {
        return (String) TestSql.query(TestServers.database(events), "SELECT data->>'password' AS p FROM \"Auth\" WHERE id = $1", id)
                .get(0).get("p");
    }

    private static void assertLogsIn(String name, String password) {
        login(events, name, password, 200);
    }

    private static String login(EventsServer server, String name, String password, int status) {
        var result = TestServers.anonymous(server).post().uri("/api/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("login", name, "password", password)).exchange()
                .expectStatus().isEqualTo(status).expectBody(String.class).returnResult();
        var cookie = result.getResponseCookies().getFirst("sessionId");
        return cookie == null ? null : cookie.getValue();
    }

    /** A principal of Auth with a role of {@code permissions}, logged in: its session token. */
    private static String login(String tag, String permissions) {
        String role = "r-" + tag;
        assertThat(post(admin, "/api/Role", Map.of("id", role, "role", "Role " + tag, "permissions", permissions))
                .status()).isEqualTo(201);
        assertThat(post(admin, "/api/Auth", Map.of("id", "u-" + tag, "name", "user-" + tag, "password", "user-password",
                "roleId", role)).status()).isEqualTo(201);
        return login(events, "user-" + tag, "user-password", 200);
    }

    private static void assertNoBackendInTransaction(String database) throws InterruptedException {
        String sql = "SELECT state, left(query, 80) AS query FROM pg_stat_activity WHERE datname = current_database() "
                + "AND application_name = 'events-server' AND state <> 'idle'";
        List<Map<String, Object>> busy = new ArrayList<>();
        for (int i = 0; i < 75; i++) {
            busy = TestSql.query(database, sql);
            if (busy.isEmpty()) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        assertThat(busy).as("server backends not idle").isEmpty();
    }
}
