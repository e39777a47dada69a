package events.api;

import java.util.List;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import events.documents.RenderedJson;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Streamed lists (api.md 5.5): one JSON document per line, no envelope. Lines are grouped into buffers
 * of {@value #LINES_PER_BUFFER} so a large export is not one write per row; demand still flows back to
 * the database cursor. A failure after the first line ends the response abnormally.
 */
final class NdjsonResponses {

    static final MediaType NDJSON = MediaType.APPLICATION_NDJSON;
    private static final int LINES_PER_BUFFER = 64;

    private final JsonMapper json;
    private final StreamStallGuard stalls;

    NdjsonResponses(JsonMapper json, StreamStallGuard stalls) {
        this.json = json;
        this.stalls = stalls;
    }

    /**
     * Whether the client named NDJSON in {@code Accept} (not by a wildcard, not with {@code q=0}). A header
     * that does not parse means {@code *}{@code /*} (api.md 3.4), so: no.
     */
    static boolean wanted(ServerRequest request) {
        List<MediaType> accepted;
        try {
            accepted = request.headers().accept();
        } catch (InvalidMediaTypeException e) {
            return false;
        }
        return accepted.stream().anyMatch(type -> type.isCompatibleWith(NDJSON)
                && !type.isWildcardType() && !type.isWildcardSubtype() && type.getQualityValue() > 0);
    }

    Mono<ServerResponse> stream(Flux<JsonNode> documents) {
        Flux<DataBuffer> body = documents
                .map(this::line)
                .buffer(LINES_PER_BUFFER)
                .map(lines -> {
                    int size = 0;
                    for (RenderedJson line : lines) {
                        size += line.length() + 1;
                    }
                    byte[] bytes = new byte[size];
                    int at = 0;
                    for (RenderedJson line : lines) {
                        line.copyTo(bytes, at);
                        at += line.length();
                        bytes[at++] = '\n';
                    }
                    return (DataBuffer) DefaultDataBufferFactory.sharedInstance.wrap(bytes);
                })
                .doOnDiscard(DataBuffer.class, DataBufferUtils::release);
        return ServerResponse.ok().contentType(NDJSON).body(stalls.guard(body), DataBuffer.class);
    }

    /** A document's line: its rendered bytes as they are, or the tree serialised. */
    private RenderedJson line(JsonNode document) {
        RenderedJson rendered = RenderedJson.in(document);
        return rendered != null ? rendered : RenderedJson.of(json.writeValueAsBytes(document));
    }

    /**
     * Progress lines (an import, api.md 12.2): each line its own write, so a client sees each as soon as
     * it is made, instead of 64 at a time.
     */
    Mono<ServerResponse> progress(Flux<ObjectNode> lines) {
        Flux<DataBuffer> body = lines
                .map(line -> {
                    byte[] bytes = json.writeValueAsBytes(line);
                    DataBuffer buffer = DefaultDataBufferFactory.sharedInstance.allocateBuffer(bytes.length + 1);
                    buffer.write(bytes);
                    buffer.write((byte) '\n');
                    return buffer;
                })
                .doOnDiscard(DataBuffer.class, DataBufferUtils::release);
        return ServerResponse.ok().contentType(NDJSON).body(stalls.guard(body), DataBuffer.class);
    }

    /** Guards a request body read as a stream: see {@link StreamStallGuard#guardInput}. */
    <T> Flux<T> guardInput(Flux<T> body) {
        return stalls.guardInput(body);
    }
}
