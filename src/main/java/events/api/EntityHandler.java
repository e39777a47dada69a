package events.api;

import java.util.List;

import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import events.auth.Access;
import events.auth.Sessions;
import events.documents.DocumentService;
import events.error.ApiError;
import events.error.ApiException;
import events.query.CountMode;
import events.query.Expansion;
import events.query.ListQuery;
import events.schema.Entity;
import events.schema.Schema;
import reactor.core.publisher.Mono;

/**
 * The five entity routes of api.md 4. Each handler parses (entity, parameters, body), calls the
 * document service and wraps the outcome in the envelope; the order of those steps is the error
 * precedence of api.md 3.5.
 */
final class EntityHandler {

    private static final List<String> LIST_METHODS = List.of("GET", "POST");
    private static final List<String> DOCUMENT_METHODS = List.of("GET", "PUT", "DELETE");

    private final Schema schema;
    private final DocumentService documents;
    private final RequestBodies bodies;
    private final ListQueryParser parser;
    private final NdjsonResponses ndjson;
    private final Sessions sessions;

    EntityHandler(Schema schema, DocumentService documents, RequestBodies bodies, NdjsonResponses ndjson,
                  Sessions sessions) {
        this(schema, documents, bodies, ndjson, sessions, CountMode.EXACT);
    }

    /** {@code defaultCount}: the count mode of lists that name none (config {@code default_count}). */
    EntityHandler(Schema schema, DocumentService documents, RequestBodies bodies, NdjsonResponses ndjson,
                  Sessions sessions, CountMode defaultCount) {
        this.schema = schema;
        this.sessions = sessions;
        this.documents = documents;
        this.bodies = bodies;
        this.parser = new ListQueryParser(schema, documents.cursors(), defaultCount);
        this.ndjson = ndjson;
    }

    Mono<ServerResponse> list(ServerRequest request) {
        return parse(request, 'r').flatMap(p -> {
            ListQuery query = parser.list(p.entity(), p.parameters());
            return authorize(request, p.entity(), 'r').flatMap(access -> {
                ListQuery visible = query.withView(readable(query.view(), access));
                if (NdjsonResponses.wanted(request)) {
                    return ndjson.stream(documents.stream(p.entity(), visible));
                }
                return documents.list(p.entity(), visible).flatMap(Envelopes::ok);
            });
        });
    }

    /** The session check and the read are one statement (one round trip); the errors keep api.md 3.5's order. */
    Mono<ServerResponse> get(ServerRequest request) {
        return parse(request, 'r').flatMap(p -> {
            List<Expansion> view = parser.single(p.entity(), p.parameters());
            String id = DocumentService.idOf(p.id());
            return sessions.authorizeFind(AuthHandler.token(request), p.entity(), id)
                    .flatMap(found -> documents.get(p.entity(), id, readable(view, found.access()), found.document()));
        }).flatMap(Envelopes::ok);
    }

    Mono<ServerResponse> create(ServerRequest request) {
        return parse(request, 'c')
                .doOnNext(p -> parser.single(p.entity(), p.parameters()))
                .flatMap(p -> authorize(request, p.entity(), 'c')
                        .then(bodies.object(request))
                        .flatMap(body -> documents.create(p.entity(), body)))
                .flatMap(Envelopes::created);
    }

    Mono<ServerResponse> replace(ServerRequest request) {
        return parse(request, 'u')
                .doOnNext(p -> parser.single(p.entity(), p.parameters()))
                .flatMap(p -> authorize(request, p.entity(), 'u')
                        .flatMap(access -> bodies.object(request)
                                .flatMap(body -> documents.replace(access, p.entity(), p.id(), body))))
                .flatMap(Envelopes::ok);
    }

    Mono<ServerResponse> delete(ServerRequest request) {
        return parse(request, 'd')
                .doOnNext(p -> parser.single(p.entity(), p.parameters()))
                .flatMap(p -> authorize(request, p.entity(), 'd')
                        .then(documents.delete(p.entity(), p.id())))
                .flatMap(Envelopes::ok);
    }

    private Mono<Access> authorize(ServerRequest request, Entity entity, char operation) {
        return sessions.authorize(AuthHandler.token(request), entity, operation);
    }

    /** An expansion of an entity the role may not read keeps only {@code exists} (api.md 5.4). */
    private static List<Expansion> readable(List<Expansion> view, Access access) {
        return view.stream()
                .map(e -> access.allows(e.target(), 'r') ? e : new Expansion(e.target(), List.of()))
                .toList();
    }

    /** Any other method on an entity path: 404 for an unknown entity, else 405 with {@code Allow}. */
    Mono<ServerResponse> methodNotAllowed(ServerRequest request) {
        return Mono.fromCallable(() -> {
            Entity entity = entity(request, null);
            List<String> allowed = request.pathVariables().containsKey("id") ? DOCUMENT_METHODS : LIST_METHODS;
            throw new ApiException(new ApiError.MethodNotAllowed("Method " + request.method() + " is not allowed on "
                    + (request.pathVariables().containsKey("id") ? "a " + entity.name() : "the " + entity.name() + " list"),
                    allowed));
        });
    }

    /** Unknown paths under {@code /api/}. */
    Mono<ServerResponse> notFound(ServerRequest request) {
        return Mono.error(new ApiException(new ApiError.NotFound(ApiError.GENERAL, "No such route: "
                + shorten(request.path(), 60))));
    }

    private Mono<Parsed> parse(ServerRequest request, char operation) {
        return Mono.fromCallable(() -> new Parsed(entity(request, operation),
                request.pathVariables().containsKey("id") ? PathIds.of(request) : null,
                QueryParameters.of(request.uri().getRawQuery())));
    }

    private Entity entity(ServerRequest request, Character operation) {
        String name = request.pathVariable("entity");
        Entity entity = schema.entity(name).orElseThrow(() -> new ApiException(
                new ApiError.NotFound(ApiError.GENERAL, "Unknown entity '" + shorten(name, 40) + "'")));
        if (operation != null && !entity.allows(operation)) {
            throw new ApiException(new ApiError.MethodNotAllowed("The schema does not allow " + request.method()
                    + " on " + entity.name(), List.of()));
        }
        return entity;
    }

    private static String shorten(String text, int max) {
        return text.length() > max ? text.substring(0, max) + "..." : text;
    }

    /** The request's entity, its path id (null on list routes) and its query parameters. */
    private record Parsed(Entity entity, String id, QueryParameters parameters) {
    }
}
