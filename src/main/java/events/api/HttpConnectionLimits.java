package events.api;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;

import events.error.ApiError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP connection rules below the router (api.md 3.4): requests refused before routing get the error
 * envelope instead of an empty body, whether Netty refused them (request line too long 414, headers too
 * large 431, malformed 400) or Spring did (a request target that is not a valid URI, 400). Any other empty
 * 4xx gets an envelope too, so no client ever has to parse nothing.
 */
final class HttpConnectionLimits implements NettyServerCustomizer {

    private static final String DECODED_SIDE = "events.requestTracker";

    private final Map<Integer, byte[]> refusedBodies;
    private final JsonMapper json;

    HttpConnectionLimits(JsonMapper json) {
        this.json = json;
        this.refusedBodies = Map.of(
                400, envelope(json, new ApiError.RefusedRequest(400, "Malformed HTTP request")),
                414, envelope(json, new ApiError.RefusedRequest(414, "Request line (method, path and query) is too long")),
                431, envelope(json, new ApiError.RefusedRequest(431, "Request headers are too large")));
    }

    @Override
    public HttpServer apply(HttpServer server) {
        return server.doOnChannelInit((observer, channel, remoteAddress) -> {
            ChannelPipeline pipeline = channel.pipeline();
            if (pipeline.get(NettyPipeline.HttpCodec) == null) {
                return; // not plain HTTP/1.1: nothing of ours to watch
            }
            Exchange exchange = new Exchange();
            pipeline.addAfter(NettyPipeline.HttpCodec, DECODED_SIDE, new DecodedSide(exchange));
        });
    }

    /** One connection's progress; touched only on its event loop. */
    private static final class Exchange {
        /** Netty failed to decode the current request; its empty error response is replaced. */
        boolean decodingFailed;
        /** The requests being answered, oldest first: their method and target. */
        final Deque<HttpRequest> answering = new ArrayDeque<>();
    }

    /** After the codec: sees decoded requests and the responses written back. */
    private final class DecodedSide extends ChannelDuplexHandler {

        private final Exchange exchange;

        DecodedSide(Exchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                exchange.answering.addLast(request);
            }
            if (msg instanceof HttpObject object && object.decoderResult().isFailure()) {
                exchange.decodingFailed = true;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            Object out = msg;
            HttpRequest request = exchange.answering.peekFirst();
            if (msg instanceof FullHttpResponse response && response.content().readableBytes() == 0
                    && response.status().code() >= 400 && response.status().code() < 500
                    && (request == null || !HttpMethod.HEAD.equals(request.method()))) {
                byte[] body = exchange.decodingFailed ? refusedBodies.get(response.status().code()) : null;
                out = withEnvelope(response, body != null ? body : envelope(json, emptyAnswer(response.status().code(),
                        request)));
                exchange.decodingFailed = false;
            }
            if (out instanceof LastHttpContent) {
                exchange.answering.pollFirst();
            }
            ctx.write(out, promise);
        }

        /** The response with our envelope as its body. */
        private FullHttpResponse withEnvelope(FullHttpResponse response, byte[] body) {
            ByteBuf content = Unpooled.wrappedBuffer(body);
            FullHttpResponse replaced = new DefaultFullHttpResponse(response.protocolVersion(), response.status(), content);
            replaced.headers().set(response.headers());
            replaced.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            replaced.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            response.release();
            return replaced;
        }
    }

    /**
     * What an empty 4xx from below our code means: Spring answers a request target that is not a valid URI
     * ({@code ?%=1}, raw {@code "} or {@code |}) with a bare 400 before any filter runs.
     */
    static ApiError emptyAnswer(int status, @Nullable HttpRequest request) {
        return switch (status) {
            case 400 -> new ApiError.RefusedRequest(400, request != null && !validUri(request.uri())
                    ? "Malformed request URL: bad percent-encoding or a character not allowed in a URL"
                    : "Malformed request");
            case 401 -> new ApiError.Unauthorized("Unauthorized");
            case 403 -> new ApiError.Forbidden("Request refused");
            case 404 -> new ApiError.NotFound(ApiError.GENERAL, "No such route");
            case 405 -> new ApiError.MethodNotAllowed("Method not allowed here", List.of());
            case 413 -> new ApiError.PayloadTooLarge(RequestBodies.DEFAULT_LIMIT);
            default -> new ApiError.RefusedRequest(status, "Request refused");
        };
    }

    private static boolean validUri(String target) {
        try {
            new URI(target);
            return true;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static byte[] envelope(JsonMapper json, ApiError error) {
        return json.writeValueAsBytes(Envelopes.error(error));
    }
}
