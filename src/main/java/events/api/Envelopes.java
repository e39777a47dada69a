package events.api;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerResponse;

import events.documents.Notifications;
import events.documents.Outcome;
import events.error.ApiError;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** The response envelope of api.md 3.3: {@code data}, {@code notifications}, {@code status}, {@code pagination}. */
final class Envelopes {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The JSON of every answer: also the application's mapper (ApiConfiguration), so codecs write alike. */
    static final JsonMapper JSON = JsonMapper.builder().build();

    private Envelopes() {
    }

    static Mono<ServerResponse> ok(Outcome outcome) {
        return respond(HttpStatus.OK, outcome);
    }

    static Mono<ServerResponse> created(Outcome outcome) {
        return respond(HttpStatus.CREATED, outcome);
    }

    /** 200 with an envelope built elsewhere (an import's summary). */
    static Mono<ServerResponse> ok(ObjectNode envelope) {
        return respond(HttpStatus.OK, envelope, null);
    }

    private static Mono<ServerResponse> respond(HttpStatus status, Outcome outcome) {
        return respond(status, success(outcome), outcome.etag());
    }

    /**
     * Serialises the envelope straight into one pooled buffer with its length, instead of handing the tree
     * to the codecs: no writer lookup per response, no intermediate byte array to copy.
     */
    private static Mono<ServerResponse> respond(HttpStatus status, ObjectNode envelope, String etag) {
        ServerResponse.BodyBuilder builder = ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON);
        if (etag != null) {
            builder.eTag(etag);
        }
        return builder.body((message, context) -> message.writeWith(Mono.fromSupplier(() -> {
            DataBuffer buffer = write(message.bufferFactory(), envelope);
            message.getHeaders().setContentLength(buffer.readableByteCount());
            return buffer;
        })));
    }

    /** {@code json} serialised into a buffer of {@code factory}; released again if serialising fails. */
    static DataBuffer write(DataBufferFactory factory, JsonNode json) {
        DataBuffer buffer = factory.allocateBuffer(1024);
        try (OutputStream out = buffer.asOutputStream()) {
            JSON.writeValue(out, json);
            return buffer;
        } catch (IOException | RuntimeException e) {
            DataBufferUtils.release(buffer);
            throw e instanceof RuntimeException runtime ? runtime : new UncheckedIOException((IOException) e);
        }
    }

    /** 304 for a GET whose {@code If-None-Match} names the current version: no body (api.md 13). */
    static Mono<ServerResponse> notModified(String etag) {
        return ServerResponse.status(HttpStatus.NOT_MODIFIED).eTag(etag).build();
    }

    static ObjectNode success(Outcome outcome) {
        ObjectNode envelope = NODES.objectNode();
        envelope.set("data", outcome.data());
        envelope.set("notifications", notifications(outcome.notifications(), null));
        envelope.put("status", outcome.notifications().isEmpty() ? "success" : "warning");
        Outcome.Pagination pagination = outcome.pagination();
        if (pagination != null) {
            ObjectNode page = envelope.putObject("pagination");
            if (pagination.page() != null) {
                page.put("page", pagination.page());
            }
            page.put("pageSize", pagination.pageSize());
            if (pagination.total() != null) {
                page.put("total", pagination.total());
                page.put("totalPages", pagination.totalPages());
            }
            if (pagination.totalEstimated() != null) {
                page.put("totalEstimated", pagination.totalEstimated());
            }
            if (pagination.hasMore() != null) {
                page.put("hasMore", pagination.hasMore());
            }
            if (pagination.next() != null) {
                page.put("next", pagination.next());
            }
        }
        return envelope;
    }

    static ObjectNode error(ApiError error) {
        ObjectNode envelope = NODES.objectNode();
        envelope.putNull("data");
        envelope.set("notifications", notifications(new Notifications(), error));
        envelope.put("status", "error");
        return envelope;
    }

    /** One item of a notification's {@code errors} (api.md 3.4): type, message, and field and value if any. */
    static void addError(ArrayNode errors, String type, ApiError.Entry entry) {
        ObjectNode item = errors.addObject();
        item.put("type", type);
        item.put("message", entry.message());
        if (entry.field() != null) {
            item.put("field", entry.field());
        }
        if (entry.value() != null) {
            item.set("value", entry.value() instanceof JsonNode json ? json : NODES.pojoNode(entry.value()));
        }
    }

    private static ObjectNode notifications(Notifications notifications, ApiError error) {
        ObjectNode node = NODES.objectNode();
        for (Map.Entry<String, List<ApiError.Entry>> keyed : error == null ? Map.<String, List<ApiError.Entry>>of().entrySet()
                : error.entriesByKey().entrySet()) {
            ObjectNode holder = node.putObject(keyed.getKey());
            ArrayNode errors = holder.putArray("errors");
            for (ApiError.Entry entry : keyed.getValue()) {
                addError(errors, error.type(), entry);
            }
            holder.putArray("warnings");
        }
        for (Map.Entry<String, List<Notifications.Warning>> entry : notifications.warnings().entrySet()) {
            ObjectNode holder = node.has(entry.getKey()) ? (ObjectNode) node.get(entry.getKey())
                    : node.putObject(entry.getKey());
            if (!holder.has("errors")) {
                holder.putArray("errors");
            }
            ArrayNode warnings = holder.has("warnings") ? (ArrayNode) holder.get("warnings") : holder.putArray("warnings");
            for (Notifications.Warning warning : entry.getValue()) {
                ObjectNode item = warnings.addObject();
                item.put("type", warning.type());
                item.put("message", warning.message());
                if (warning.entity() != null) {
                    item.put("entity", warning.entity());
                }
                if (warning.entityId() != null) {
                    item.put("entity_id", warning.entityId());
                }
                if (warning.field() != null) {
                    item.put("field", warning.field());
                }
            }
        }
        if (!notifications.requestWarnings().isEmpty()) {
            ArrayNode request = node.putArray("request_warnings");
            for (Map<String, String> warning : notifications.requestWarnings()) {
                ObjectNode item = request.addObject();
                warning.forEach(item::put);
            }
        }
        return node;
    }
}
