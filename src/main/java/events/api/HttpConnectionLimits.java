package events.api;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;

import events.config.EventsConfig;
import events.error.ApiError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
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
import io.netty.util.concurrent.ScheduledFuture;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP connection rules below the router (api.md 3.4, config {@code http}):
 * <ul>
 * <li>A client must finish a request's headers within {@code header_timeout_seconds}: counted from the
 * connection's opening for its first request, and from the first byte of each later one. Otherwise it
 * gets a 408 envelope (a silent new connection is just closed) and the connection ends, so slow or
 * stalled headers cannot pile up connections.</li>
 * <li>A kept-alive connection with no request under way for {@code idle_timeout_seconds} is closed
 * (Reactor Netty's {@code idleTimeout}, which only runs between requests).</li>
 * <li>Requests refused before routing get the error envelope instead of an empty body: by Netty (request
 * line too long 414, headers too large 431, malformed 400), or by Spring (a request target that is not a
 * valid URI, 400). Any other empty 4xx gets an envelope too, so no client ever has to parse nothing.</li>
 * </ul>
 * None of this touches a request once its headers are in: a body being streamed, an answer being computed
 * and a long NDJSON response run as long as they need (their own limits live elsewhere). A timeout of 0 or
 * less turns that limit off.
 */
final class HttpConnectionLimits implements NettyServerCustomizer {

    private static final String RAW_SIDE = "events.headerTimeout";
    private static final String DECODED_SIDE = "events.requestTracker";

    private static final String TIMEOUT_STATUS_LINE = "HTTP/1.1 408 Request Timeout\r\n";
    /** Where the 408's headers start: its X-Request-Id, made per answer, goes there. */
    private static final int TIMEOUT_HEAD_START = TIMEOUT_STATUS_LINE.length();

    private final long headerTimeoutMillis;
    private final @Nullable Duration idleTimeout;
    private final byte[] timeoutResponse;
    private final Map<Integer, byte[]> refusedBodies;
    private final JsonMapper json;

    HttpConnectionLimits(EventsConfig.HttpSettings settings, JsonMapper json) {
        this.json = json;
        this.headerTimeoutMillis = Math.max(0, settings.headerTimeoutSeconds()) * 1000L;
        this.idleTimeout = settings.idleTimeoutSeconds() > 0 ? Duration.ofSeconds(settings.idleTimeoutSeconds()) : null;
        byte[] timeoutBody = envelope(json, new ApiError.RefusedRequest(408, "Request headers not received within "
                + settings.headerTimeoutSeconds() + " s; the connection is closed"));
        this.timeoutResponse = concat((TIMEOUT_STATUS_LINE + "Content-Type: application/json\r\n"
                + "Content-Length: " + timeoutBody.length + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), timeoutBody);
        this.refusedBodies = Map.of(
                400, envelope(json, new ApiError.RefusedRequest(400, "Malformed HTTP request")),
                414, envelope(json, new ApiError.RefusedRequest(414, "Request line (method, path and query) is too long")),
                431, envelope(json, new ApiError.RefusedRequest(431, "Request headers are too large")));
    }

    @Override
    public HttpServer apply(HttpServer server) {
        HttpServer configured = idleTimeout == null ? server : server.idleTimeout(idleTimeout);
        return configured.doOnChannelInit((observer, channel, remoteAddress) -> {
            ChannelPipeline pipeline = channel.pipeline();
            if (pipeline.get(NettyPipeline.HttpCodec) == null) {
                return; // not plain HTTP/1.1: nothing of ours to watch
            }
            Exchange exchange = new Exchange();
            pipeline.addBefore(NettyPipeline.HttpCodec, RAW_SIDE, new RawSide(exchange));
            pipeline.addAfter(NettyPipeline.HttpCodec, DECODED_SIDE, new DecodedSide(exchange));
        });
    }

    /** One connection's progress; touched only on its event loop. */
    private static final class Exchange {
        /** Between a decoded request head and the end of that request's body. */
        boolean inRequest;
        /** Request heads decoded so far. */
        long heads;
        /** Responses not yet fully written. */
        int responding;
        /** Bytes of a request head have arrived and the head is not complete yet. */
        boolean partialHead;
        /** Netty failed to decode the current request; its empty error response is replaced. */
        boolean decodingFailed;
        /** The requests being answered, oldest first: their method and target. */
        final Deque<HttpRequest> answering = new ArrayDeque<>();
        @Nullable ScheduledFuture<?> headerTimer;

        void cancelHeaderTimer() {
            if (headerTimer != null) {
                headerTimer.cancel(false);
                headerTimer = null;
            }
        }
    }

    /** Before the codec: sees raw bytes, so it knows a head has started; owns the header timer. */
    private final class RawSide extends ChannelDuplexHandler {

        private final Exchange exchange;

        RawSide(Exchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                startHeaderTimer(ctx);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            startHeaderTimer(ctx); // the first request's head is due within the timeout of connecting
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean betweenRequests = !exchange.inRequest;
            long heads = exchange.heads;
            if (betweenRequests) {
                exchange.partialHead = true; // every byte between requests belongs to the next head
            }
            ctx.fireChannelRead(msg);
            if (betweenRequests && exchange.heads == heads && !exchange.inRequest) {
                startHeaderTimer(ctx); // the head is still incomplete after this read
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            exchange.cancelHeaderTimer();
            ctx.fireChannelInactive();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            exchange.cancelHeaderTimer();
        }

        private void startHeaderTimer(ChannelHandlerContext ctx) {
            if (headerTimeoutMillis > 0 && exchange.headerTimer == null) {
                exchange.headerTimer = ctx.executor().schedule(() -> headerTimeout(ctx), headerTimeoutMillis,
                        TimeUnit.MILLISECONDS);
            }
        }

        private void headerTimeout(ChannelHandlerContext ctx) {
            exchange.headerTimer = null;
            if (!ctx.channel().isActive()) {
                return;
            }
            if (exchange.responding > 0) {
                startHeaderTimer(ctx); // a pipelined head waits while an answer is still being written
                return;
            }
            if (!exchange.partialHead) {
                ctx.close(); // a new connection that never sent a byte: nobody to answer
                return;
            }
            // Written below the codec: raw bytes, then the connection ends.
            byte[] requestId = (RequestIds.HEADER + ": " + RequestIds.generate() + "\r\n").getBytes(StandardCharsets.US_ASCII);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(timeoutResponse, 0, TIMEOUT_HEAD_START),
                    Unpooled.wrappedBuffer(requestId),
                    Unpooled.wrappedBuffer(timeoutResponse, TIMEOUT_HEAD_START, timeoutResponse.length - TIMEOUT_HEAD_START)))
                    .addListener(ChannelFutureListener.CLOSE);
        }
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
                exchange.heads++;
                exchange.inRequest = true;
                exchange.partialHead = false;
                exchange.responding++;
                exchange.cancelHeaderTimer();
            }
            if (msg instanceof HttpObject object && object.decoderResult().isFailure()) {
                exchange.decodingFailed = true;
            }
            if (msg instanceof LastHttpContent) {
                exchange.inRequest = false;
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
                ChannelPromise written = promise.unvoid();
                written.addListener(future -> exchange.responding = Math.max(0, exchange.responding - 1));
                ctx.write(out, written);
                return;
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
            if (!replaced.headers().contains(RequestIds.HEADER)) {
                replaced.headers().set(RequestIds.HEADER, RequestIds.generate()); // refused before RequestIds saw it
            }
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

    private static byte[] concat(byte[] head, byte[] body) {
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }
}
