package events.api;

import java.time.Duration;

import org.springframework.http.HttpCookie;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import events.auth.Access;
import events.auth.Sessions;
import events.config.EventsConfig;
import events.error.ApiException;
import events.schema.Entity;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Login, logout, refresh and session (api.md 9.1): the cookie in, the envelope out. */
final class AuthHandler {

    static final String COOKIE = "sessionId";

    private final Sessions sessions;
    private final RequestBodies bodies;
    private final boolean secureCookie;

    AuthHandler(Sessions sessions, RequestBodies bodies, EventsConfig.SessionSettings settings) {
        this.sessions = sessions;
        this.bodies = bodies;
        this.secureCookie = settings.secureCookie();
    }

    /** The login route of one principal entity. */
    HandlerFunction<ServerResponse> login(Entity principal) {
        return request -> bodies.node(request)
                .onErrorResume(ApiException.class, e -> Mono.just(JsonNodeFactory.instance.nullNode()))
                .flatMap(body -> sessions.login(principal, body))
                .flatMap(login -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
                        .cookie(cookie(login.token(), sessions.maxAge()))
                        .bodyValue(envelope(principalData(login.access()))));
    }

    Mono<ServerResponse> logout(ServerRequest request) {
        return sessions.logout(token(request))
                .then(Mono.defer(() -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
                        .cookie(cookie("", Duration.ZERO))
                        .bodyValue(envelope(single("logout", "successful")))));
    }

    Mono<ServerResponse> refresh(ServerRequest request) {
        return sessions.session(token(request))
                .flatMap(access -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(envelope(single("refresh", "successful"))));
    }

    Mono<ServerResponse> session(ServerRequest request) {
        return sessions.session(token(request))
                .flatMap(access -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(envelope(principalData(access))));
    }

    static String token(ServerRequest request) {
        HttpCookie cookie = request.cookies().getFirst(COOKIE);
        return cookie == null ? null : cookie.getValue();
    }

    private ResponseCookie cookie(String value, Duration maxAge) {
        return ResponseCookie.from(COOKIE, value).httpOnly(true).sameSite("Lax").path("/").secure(secureCookie)
                .maxAge(maxAge).build();
    }

    private static ObjectNode principalData(Access access) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("login", access.login());
        data.put("roleId", access.roleId());
        ObjectNode permissions = data.putObject("permissions");
        ObjectNode entities = permissions.putObject("entity");
        access.grants().byEntity().forEach(entities::put);
        permissions.putArray("reports");
        return data;
    }

    private static ObjectNode single(String key, String value) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put(key, value);
        return data;
    }

    private static ObjectNode envelope(ObjectNode data) {
        ObjectNode envelope = JsonNodeFactory.instance.objectNode();
        envelope.set("data", data);
        envelope.putObject("notifications");
        envelope.put("status", "success");
        return envelope;
    }
}
