package events.api;

import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;

import events.error.ApiError;
import events.error.ApiException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads a JSON request body: 415 for a non-JSON content type, 413 over the limit (checked on
 * {@code Content-Length} before reading, and while reading for chunked bodies), 400 for bad JSON or bad
 * Unicode ({@link JsonBodyParser}).
 */
final class RequestBodies {

    static final long DEFAULT_LIMIT = 1024 * 1024;

    private final JsonBodyParser parser;
    private final long limit;

    RequestBodies(JsonMapper json, long limit) {
        this.parser = new JsonBodyParser(json);
        this.limit = limit;
    }

    /** The body as a JSON object. */
    Mono<ObjectNode> object(ServerRequest request) {
        return node(request).flatMap(node -> node.isObject() ? Mono.just((ObjectNode) node)
                : Mono.error(new ApiException(new ApiError.BadRequest("Request body must be a JSON object", null))));
    }

    /** The body as any JSON value. */
    Mono<JsonNode> node(ServerRequest request) {
        return Mono.defer(() -> {
            MediaType type = request.headers().contentType().orElse(null);
            if (type != null && !isJson(type)) {
                return Mono.error(new ApiException(new ApiError.UnsupportedMediaType(type.toString())));
            }
            long length = request.headers().asHttpHeaders().getContentLength();
            if (length > limit) {
                return Mono.error(new ApiException(new ApiError.PayloadTooLarge(limit)));
            }
            return DataBufferUtils.join(request.body(BodyExtractors.toDataBuffers()), (int) limit)
                    .onErrorMap(DataBufferLimitException.class, e -> new ApiException(new ApiError.PayloadTooLarge(limit)))
                    .map(buffer -> {
                        try {
                            byte[] bytes = new byte[buffer.readableByteCount()];
                            buffer.read(bytes);
                            return bytes;
                        } finally {
                            DataBufferUtils.release(buffer);
                        }
                    })
                    .defaultIfEmpty(new byte[0])
                    .map(parser::parse);
        });
    }

    private static boolean isJson(MediaType type) {
        return MediaType.APPLICATION_JSON.isCompatibleWith(type)
                || (type.getSubtype().endsWith("+json") && "application".equals(type.getType()));
    }
}
