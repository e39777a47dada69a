package events.api;

import java.util.List;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import events.auth.Access;
import events.auth.Sessions;
import events.documents.DocumentImport;
import events.documents.DocumentService;
import events.documents.ImportMode;
import events.documents.ImportReport;
import events.documents.NdjsonLine;
import events.documents.NdjsonLines;
import events.documents.EntityTags;
import events.error.ApiError;
import events.error.ApiException;
import events.query.CountMode;
import events.query.Expansion;
import events.query.ListQuery;
import events.schema.Entity;
import events.schema.Schema;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ObjectNode;

/**
 * The entity routes of api.md 4, the import (12.2) and the atomic batch (14). Each handler parses
 * (entity, parameters, preconditions), resolves the caller (401), calls the document service with the body
 * still unread (the service's permission gate, 403, comes before the body's 400/415/422) and wraps the
 * outcome in the envelope; the order of those steps is the error precedence of api.md 3.5 and 13.
 */
final class EntityHandler {

    private static final List<String> LIST_METHODS = List.of("GET", "POST");
    private static final List<String> DOCUMENT_METHODS = List.of("GET", "PUT", "PATCH", "DELETE");

    private final Schema schema;
    private final DocumentService documents;
    private final RequestBodies bodies;
    private final ListQueryParser parser;
    private final NdjsonResponses ndjson;
    private final Sessions sessions;
    private final BatchRequests batches;
    private final DocumentImport imports;

    /** {@code defaultCount}: the count mode of lists that name none (config {@code default_count}). */
    EntityHandler(Schema schema, DocumentService documents, RequestBodies bodies, NdjsonResponses ndjson,
                  Sessions sessions, CountMode defaultCount, DocumentImport imports) {
        this.imports = imports;
        this.schema = schema;
        this.sessions = sessions;
        this.documents = documents;
        this.bodies = bodies;
        this.parser = new ListQueryParser(schema, documents.cursors(), defaultCount);
        this.ndjson = ndjson;
        this.batches = new BatchRequests(schema);
    }

    Mono<ServerResponse> list(ServerRequest request) {
        return parse(request, 'r').flatMap(p -> {
            ListQuery query = parser.list(p.entity(), p.parameters());
            if (NdjsonResponses.wanted(request)) {
                return caller(request).flatMap(access -> documents.stream(access, p.entity(), query)
                        .flatMap(ndjson::stream));
            }
            return sessions.callerAndList(AuthHandler.token(request), p.entity(), query)
                    .flatMap(found -> documents.list(found.access(), p.entity(), query, found.page()))
                    .flatMap(Envelopes::ok);
        });
    }

    /**
     * GET one: the session check and the read are one statement (one round trip), the errors keep
     * api.md 3.5's order; {@code If-None-Match} naming the current version is a 304 without body (api.md 13).
     */
    Mono<ServerResponse> get(ServerRequest request) {
        return parse(request, 'r').flatMap(p -> {
            List<Expansion> view = parser.single(p.entity(), p.parameters());
            EntityTags ifNoneMatch = EntityTagHeaders.of(request, EntityTagHeaders.IF_NONE_MATCH);
            String id = DocumentService.idOf(p.id());
            return sessions.callerAndFind(AuthHandler.token(request), p.entity(), id)
                    .flatMap(found -> documents.get(found.access(), p.entity(), id, view, found.document()))
                    .flatMap(outcome -> ifNoneMatch != null && outcome.etag() != null
                            && ifNoneMatch.matchesWeakly(outcome.etag())
                            ? Envelopes.notModified(outcome.etag()) : Envelopes.ok(outcome));
        });
    }

    /** POST of one document (an object) or of many (an array, api.md 12.1). */
    Mono<ServerResponse> create(ServerRequest request) {
        return parse(request, 'c')
                .doOnNext(p -> parser.single(p.entity(), p.parameters()))
                .flatMap(p -> caller(request)
                        .flatMap(access -> documents.create(access, p.entity(), bodies.node(request))))
                .flatMap(Envelopes::created);
    }

    Mono<ServerResponse> replace(ServerRequest request) {
        return parse(request, 'u')
                .doOnNext(p -> parser.single(p.entity(), p.parameters()))
                .flatMap(p -> {
                    EntityTags ifMatch = EntityTagHeaders.of(request, EntityTagHeaders.IF_MATCH);
                    return caller(request).flatMap(access ->
                            documents.replace(access, p.entity(), p.id(), bodies.object(request), ifMatch));
                })
                .flatMap(Envelopes::ok);
    }

    /** PATCH with a JSON merge patch (api.md 13). */
    Mono<ServerResponse> patch(ServerRequest request) {
        return parse(request, 'u')
                .doOnNext(p -> parser.single(p.entity(), p.parameters()))
                .flatMap(p -> {
                    EntityTags ifMatch = EntityTagHeaders.of(request, EntityTagHeaders.IF_MATCH);
                    return caller(request).flatMap(access ->
                            documents.patch(access, p.entity(), p.id(), bodies.mergePatch(request), ifMatch));
                })
                .flatMap(Envelopes::ok);
    }

    Mono<ServerResponse> delete(ServerRequest request) {
        return parse(request, 'd')
                .doOnNext(p -> parser.single(p.entity(), p.parameters()))
                .flatMap(p -> {
                    EntityTags ifMatch = EntityTagHeaders.of(request, EntityTagHeaders.IF_MATCH);
                    return caller(request).flatMap(access -> documents.delete(access, p.entity(), p.id(), ifMatch));
                })
                .flatMap(Envelopes::ok);
    }

    /**
     * {@code POST /api/{E}/_import} (api.md 12.2): entity (404, 405), {@code mode} (400), session (401),
     * {@code c} (403), all before the body is touched; then its type (415) and its lines, streamed. The
     * answer is the summary, or with {@code Accept: application/x-ndjson} a progress line per batch and the
     * summary last.
     */
    Mono<ServerResponse> importDocuments(ServerRequest request) {
        return Mono.fromCallable(() -> {
                    Entity entity = entity(request, 'c');
                    String mode = QueryParameters.ofImport(request.uri().getRawQuery()).get("mode").orElse("");
                    return new ImportRequest(entity, mode.isBlank() ? ImportMode.SKIP : ImportMode.of(mode)
                            .orElseThrow(() -> new ApiException(new ApiError.BadRequest("mode must be skip or atomic, "
                                    + "not '" + shorten(mode, 20) + "'", "mode"))));
                })
                .flatMap(p -> caller(request).flatMap(access -> imports.run(access, p.entity(), p.mode(),
                        importLines(request))))
                .flatMap(reports -> NdjsonResponses.wanted(request)
                        ? ndjson.progress(progressLines(reports))
                        : reports.last().flatMap(report -> Envelopes.ok(ImportAnswers.summary(report))));
    }

    /**
     * The progress answer's lines. A failure before the first line is the usual error answer; after it
     * (the status is sent) the error envelope is the last line, so the client learns what happened.
     */
    private static Flux<ObjectNode> progressLines(Flux<ImportReport> reports) {
        return reports
                .map(report -> report.done() ? ImportAnswers.summary(report) : ImportAnswers.progress(report))
                .switchOnFirst((first, lines) -> first.isOnError() ? lines
                        : lines.onErrorResume(failure -> Mono.just(Envelopes.error(ErrorResponses.toApiError(failure)))));
    }

    /** The body's lines, read as they arrive; 415 for a type that is not NDJSON. */
    private Mono<Flux<NdjsonLine>> importLines(ServerRequest request) {
        return Mono.fromCallable(() -> {
            ApiError media = ImportAnswers.unsupportedMediaType(request.headers().asHttpHeaders());
            if (media != null) {
                throw new ApiException(media);
            }
            Flux<DataBuffer> body = ndjson.guardInput(request.body(BodyExtractors.toDataBuffers()))
                    .onErrorMap(e -> !(e instanceof ApiException), e -> new ApiException(new ApiError.BadRequest(
                            "The request body could not be read to its end", null)));
            return NdjsonLines.split(body, NdjsonLines.DEFAULT_LIMIT);
        });
    }

    /** {@code POST /api/_batch} (api.md 14): the session (401), then the body, then the operations. */
    Mono<ServerResponse> batch(ServerRequest request) {
        return caller(request)
                .flatMap(access -> documents.batch(access, bodies.object(request).map(batches::parse)))
                .flatMap(Envelopes::ok);
    }

    /** Any other method on {@code /api/_batch}. */
    Mono<ServerResponse> batchMethodNotAllowed(ServerRequest request) {
        return Mono.error(new ApiException(new ApiError.MethodNotAllowed("Method " + request.method()
                + " is not allowed on _batch", List.of("POST"))));
    }

    /** The caller: the open API, or the request's live session (401 without one). */
    private Mono<Access> caller(ServerRequest request) {
        return sessions.caller(AuthHandler.token(request));
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

    /** An import's entity and mode. */
    private record ImportRequest(Entity entity, ImportMode mode) {
    }

    /** The request's entity, its path id (null on list routes) and its query parameters. */
    private record Parsed(Entity entity, String id, QueryParameters parameters) {
    }
}
