package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import events.EventsServer;
import events.support.RawHttp;
import events.support.TestServers;

/**
 * The id of {@code /api/{E}/{id}} is the whole decoded path segment (api.md 3.2): {@code ;} is part of
 * the id, never the start of matrix parameters. Sent over a raw socket, so no client rewrites the path.
 */
final class PathIdIntegrationTests {

    private static EventsServer server;
    private static String cookie;

    @BeforeAll
    static void start() {
        server = TestServers.shared();
        cookie = TestServers.sessionCookie(server);
    }

    @Test
    void semicolonIsPartOfTheId() throws IOException {
        String base = "semi" + System.nanoTime();
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofSeconds(10))) {
            assertThat(send(http, RawHttp.withBody("POST", "/api/Account", cookie,
                    "{\"id\": \"" + base + "\", \"name\": \"plain account\"}")).status()).isEqualTo(201);
            assertThat(send(http, RawHttp.withBody("POST", "/api/Account", cookie,
                    "{\"id\": \"" + base + ";2\", \"name\": \"semicolon account\"}")).status()).isEqualTo(201);

            RawHttp.Response withSemicolon = send(http, RawHttp.get("/api/Account/" + base + ";2", cookie));
            assertThat(withSemicolon.status()).isEqualTo(200);
            assertThat(withSemicolon.text()).contains("\"id\":\"" + base + ";2\"", "semicolon account");

            RawHttp.Response encoded = send(http, RawHttp.get("/api/Account/" + base + "%3B2", cookie));
            assertThat(encoded.text()).contains("\"id\":\"" + base + ";2\"");

            // Not a matrix parameter: these name documents that do not exist, never the plain one.
            assertThat(send(http, RawHttp.get("/api/Account/" + base + ";jsessionid=x", cookie)).status())
                    .isEqualTo(404);
            assertThat(send(http, RawHttp.withBody("PUT", "/api/Account/" + base + ";1", cookie,
                    "{\"name\": \"changed by mistake\"}")).status()).isEqualTo(404);
            RawHttp.Response missingDelete = send(http, RawHttp.withBody("DELETE", "/api/Account/" + base + ";1",
                    cookie, "null"));
            assertThat(missingDelete.text()).contains("\"data\":{}");

            RawHttp.Response deleted = send(http, RawHttp.withBody("DELETE", "/api/Account/" + base + ";2", cookie,
                    "null"));
            assertThat(deleted.text()).contains("\"id\":\"" + base + ";2\"");
            RawHttp.Response plain = send(http, RawHttp.get("/api/Account/" + base, cookie));
            assertThat(plain.status()).isEqualTo(200);
            assertThat(plain.text()).contains("plain account");
        }
    }

    @Test
    void malformedEscapesInTheIdAreBadRequests() throws IOException {
        try (RawHttp http = RawHttp.connect(server.port(), Duration.ofSeconds(10))) {
            for (String id : new String[] {"bad%C0%AF", "bad%ED%A0%80", "bad%FF"}) {
                RawHttp.Response response = send(http, RawHttp.get("/api/Account/" + id, cookie));
                assertThat(response.status()).as(id).isEqualTo(400);
                assertThat(response.text()).contains("\"type\":\"bad_request\"", "\"field\":\"id\"");
            }
        }
    }

    private static RawHttp.Response send(RawHttp http, String request) throws IOException {
        return http.send(request).read();
    }
}
