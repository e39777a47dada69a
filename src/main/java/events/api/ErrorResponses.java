package events.api;

import java.net.SocketException;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.util.DisconnectedClientHelper;

import events.error.ApiError;
import events.logging.RequestMdc;
import events.error.ApiException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one place errors become HTTP: status, headers ({@code Retry-After}, {@code Allow}) and the error
 * envelope. Used by the router's {@code onError} and, as a {@link WebExceptionHandler}, for failures
 * outside the router (no route, framework errors).
 */
final class ErrorResponses implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);
    /** Seconds a client should wait before retrying after a 503. */
    static final String RETRY_AFTER_SECONDS = "2";

    private final JsonMapper json;

    ErrorResponses(JsonMapper json) {
        this.json = json;
    }

    /** For the router's {@code onError}. */
    Mono<ServerResponse> render(Throwable failure, ServerRequest request) {
        noteClientWentAway(request.exchange(), failure);
        ApiError error = toApiError(failure, requestId(request.exchange()));
        ServerResponse.BodyBuilder builder = ServerResponse.status(error.status()).contentType(MediaType.APPLICATION_JSON);
        headers(error).forEach((name, values) -> builder.header(name, values.toArray(String[]::new)));
        return builder.bodyValue(Envelopes.error(error));
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(failure); // a stream already under way ends abnormally
        }
        noteClientWentAway(exchange, failure);
        ApiError error = toApiError(failure, requestId(exchange));
        var response = exchange.getResponse();
        response.setStatusCode(HttpStatusCode.valueOf(error.status()));
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        response.getHeaders().addAll(headers(error));
        byte[] body = json.writeValueAsBytes(Envelopes.error(error));
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
    }

    /** The request's id (RequestIds set it on the response before anything ran). */
    private static @Nullable String requestId(ServerWebExchange exchange) {
        return exchange.getResponse().getHeaders().getFirst(RequestIds.HEADER);
    }

    /**
     * {@link #toApiError(Throwable)}, an unexpected failure logged with the request's id (see RequestMdc).
     */
    static ApiError toApiError(Throwable failure, @Nullable String requestId) {
        ApiError[] error = new ApiError[1];
        RequestMdc.run(requestId, () -> error[0] = toApiError(failure));
        return error[0];
    }

    static ApiError toApiError(Throwable failure) {
        if (failure instanceof ApiException api) {
            return api.error();
        }
        if (clientWentAway(failure)) {
            // Nobody will read the answer, and it is no failure of ours: no error line.
            log.debug("The client went away: {}", failure.toString());
            return new ApiError.BadRequest("The client went away", null);
        }
        if (failure instanceof DataBufferLimitException) {
            return new ApiError.PayloadTooLarge(RequestBodies.DEFAULT_LIMIT);
        }
        if (failure instanceof MethodNotAllowedException notAllowed) {
            return new ApiError.MethodNotAllowed("Method " + notAllowed.getHttpMethod() + " is not allowed here",
                    notAllowed.getSupportedMethods().stream().map(Object::toString).toList());
        }
        if (failure instanceof InvalidMediaTypeException invalid) {
            // Only Content-Type can get here: an unparseable Accept is replaced by AcceptHeaderFilter.
            return new ApiError.UnsupportedMediaType(RequestBodies.shown(invalid.getMediaType()));
        }
        if (failure instanceof UnsupportedMediaTypeStatusException media) {
            return new ApiError.UnsupportedMediaType(String.valueOf(media.getContentType()));
        }
        if (failure instanceof ServerWebInputException) {
            return new ApiError.BadRequest("Malformed request", null);
        }
        if (failure instanceof ResponseStatusException status) {
            int code = status.getStatusCode().value();
            if (code == 404) {
                return new ApiError.NotFound(ApiError.GENERAL, "No such route");
            }
            if (code == 413) {
                return new ApiError.PayloadTooLarge(RequestBodies.DEFAULT_LIMIT);
            }
            if (code == 405) {
                return new ApiError.MethodNotAllowed("Method not allowed here", List.of());
            }
            if (code >= 400 && code < 500) {
                return new ApiError.BadRequest("Malformed request", null);
            }
        }
        log.error("Unexpected failure", failure);
        return new ApiError.Internal();
    }

    /**
     * Whether {@code failure} says the client went away (reset or closed its connection mid-request):
     * Spring's list of such failures, and the {@code Connection reset} the JDK reports for a reset read.
     */
    static boolean clientWentAway(Throwable failure) {
        if (DisconnectedClientHelper.isClientDisconnectedException(failure)) {
            return true;
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SocketException socket && socket.getMessage() != null
                    && socket.getMessage().toLowerCase(Locale.ROOT).startsWith("connection reset")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reactor's hook for an error that arrives after its sequence ended (a reset connection fails the
     * request's body and then the connection again), in each request's context: a client that went away
     * is a debug line, anything else stays an error line, as Reactor's default would log it.
     */
    static final Consumer<Throwable> DROPPED_ERRORS = failure -> {
        if (clientWentAway(failure)) {
            log.debug("The client went away (a late error): {}", failure.toString());
        } else {
            log.error("Operator called default onErrorDropped", failure);
        }
    };

    /**
     * For {@link HttpServerMetrics}: the client left, before or after the answer was under way. The API's
     * own errors (every 401, 403, 404 ...) are answers, not a client that left: no cause chain to walk.
     */
    private static void noteClientWentAway(ServerWebExchange exchange, Throwable failure) {
        if (!(failure instanceof ApiException) && clientWentAway(failure)) {
            exchange.getAttributes().put(HttpServerMetrics.CLIENT_WENT_AWAY, exchange.getResponse().isCommitted());
        }
    }

    private static HttpHeaders headers(ApiError error) {
        HttpHeaders headers = new HttpHeaders();
        if (error instanceof ApiError.Unavailable) {
            headers.set(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        if (error instanceof ApiError.MethodNotAllowed notAllowed && !notAllowed.allowed().isEmpty()) {
            headers.set(HttpHeaders.ALLOW, String.join(", ", notAllowed.allowed()));
        }
        return headers;
    }
}
