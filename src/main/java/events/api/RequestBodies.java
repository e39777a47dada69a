package events.api;

import java.util.List;
import java.util.Locale;

import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
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
 * Reads a JSON request body: 415 for a non-JSON, non-UTF-8 or unparseable content type, 413 over the limit
 * (checked on {@code Content-Length} before reading, and while reading for chunked bodies), 400 for bad
 * JSON or bad Unicode ({@link JsonBodyParser}).
 */
final class RequestBodies {

    static final long DEFAULT_LIMIT = 1024 * 1024;
    private static final int MAX_SHOWN = 40;
    private static final String NOT_AN_OBJECT = "Request body must be a JSON object";
    private static final MediaType JSON_PATCH = MediaType.parseMediaType("application/json-patch+json");

    private final JsonBodyParser parser;
    private final long limit;

    RequestBodies(JsonMapper json, long limit) {
        this.parser = new JsonBodyParser(json);
        this.limit = limit;
    }

    /** The body as a JSON object. */
    Mono<ObjectNode> object(ServerRequest request) {
        return node(request).flatMap(node -> node.isObject() ? Mono.just((ObjectNode) node)
                : Mono.error(new ApiException(new ApiError.BadRequest(NOT_AN_OBJECT, null))));
    }

    /**
     * The body of a PATCH: a JSON merge patch object ({@code application/merge-patch+json}, or
     * {@code application/json} meaning the same). JSON Patch ({@code application/json-patch+json}) is a
     * 415 that names the supported type (api.md 13).
     */
    Mono<ObjectNode> mergePatch(ServerRequest request) {
        return Mono.defer(() -> {
            List<String> values = request.headers().asHttpHeaders().getOrEmpty(HttpHeaders.CONTENT_TYPE);
            if (!values.isEmpty()) {
                try {
                    MediaType type = MediaType.parseMediaType(values.get(0));
                    if (JSON_PATCH.equalsTypeAndSubtype(type)) {
                        return Mono.error(new ApiException(new ApiError.UnsupportedMediaType(shown(type.toString()),
                                "PATCH takes a JSON merge patch (application/merge-patch+json), not JSON Patch")));
                    }
                } catch (InvalidMediaTypeException e) {
                    // unsupportedMediaType below answers it
                }
            }
            return object(request).onErrorMap(ApiException.class, e -> e.error() instanceof ApiError.BadRequest b
                    && b.message().equals(NOT_AN_OBJECT)
                    ? new ApiException(new ApiError.BadRequest("A merge patch must be a JSON object", null)) : e);
        });
    }

    /** The body as any JSON value. */
    Mono<JsonNode> node(ServerRequest request) {
        return Mono.defer(() -> {
            ApiError media = unsupportedMediaType(request.headers().asHttpHeaders());
            if (media != null) {
                return Mono.error(new ApiException(media));
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

    /**
     * Why the body's declared type is refused, or null when it is JSON (or undeclared). The header is
     * parsed here, once: Spring's parser throws on {@code ;;;} or {@code application/json, text/plain},
     * which is the client's mistake (415), not the server's. JSON is UTF-8 (RFC 8259), so another
     * {@code charset} is refused too rather than misread.
     */
    static @Nullable ApiError unsupportedMediaType(HttpHeaders headers) {
        List<String> values = headers.getOrEmpty(HttpHeaders.CONTENT_TYPE);
        if (values.isEmpty()) {
            return null;
        }
        String raw = values.get(0);
        MediaType type;
        try {
            type = MediaType.parseMediaType(raw);
        } catch (InvalidMediaTypeException e) {
            return new ApiError.UnsupportedMediaType(shown(raw));
        }
        if (!isJson(type)) {
            return new ApiError.UnsupportedMediaType(shown(type.toString()));
        }
        String charset = type.getParameter("charset");
        if (charset != null) {
            String name = unquote(charset).toLowerCase(Locale.ROOT);
            if (!name.equals("utf-8") && !name.equals("utf8")) {
                return new ApiError.UnsupportedMediaType(shown(type.toString()));
            }
        }
        return null;
    }

    private static boolean isJson(MediaType type) {
        return MediaType.APPLICATION_JSON.isCompatibleWith(type)
                || (type.getSubtype().endsWith("+json") && "application".equals(type.getType()));
    }

    private static String unquote(String text) {
        return text.length() >= 2 && text.startsWith("\"") && text.endsWith("\"") ? text.substring(1, text.length() - 1)
                : text;
    }

    /** The header as the message may show it: short, printable ASCII. */
    static String shown(String raw) {
        String printable = raw.replaceAll("[^\\x20-\\x7E]", "?");
        return printable.length() > MAX_SHOWN ? printable.substring(0, MAX_SHOWN) + "..." : printable;
    }
}
