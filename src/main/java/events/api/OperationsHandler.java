package events.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.util.HtmlUtils;
import org.webjars.WebJarVersionLocator;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The documentation routes of api.md 15: the OpenAPI document and the Swagger UI page that shows it. Both
 * are built once at start-up; neither needs a session.
 */
final class OperationsHandler {

    private static final String SWAGGER_UI = "swagger-ui";

    private final byte[] openApi;
    private final byte[] docs;

    OperationsHandler(ObjectNode openApi, JsonMapper json) {
        this.openApi = json.writeValueAsBytes(openApi);
        String version = new WebJarVersionLocator().version(SWAGGER_UI);
        if (version == null) {
            throw new IllegalStateException("The swagger-ui webjar is missing from the class path");
        }
        this.docs = page(openApi.path("info").path("title").asString("API"), "/webjars/" + SWAGGER_UI + "/" + version);
    }

    Mono<ServerResponse> openApi(ServerRequest request) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(openApi);
    }

    Mono<ServerResponse> docs(ServerRequest request) {
        return ServerResponse.ok().contentType(new MediaType(MediaType.TEXT_HTML, StandardCharsets.UTF_8)).bodyValue(docs);
    }

    /** The page, with the webjar's versioned path (served by Spring Boot from the jar, no CDN). */
    private static byte[] page(String title, String webjar) {
        try (InputStream in = OperationsHandler.class.getResourceAsStream("/events/docs.html")) {
            if (in == null) {
                throw new IllegalStateException("events/docs.html is missing from the class path");
            }
            String template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return template.replace("{{title}}", HtmlUtils.htmlEscape(title)).replace("{{webjar}}", webjar)
                    .getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
