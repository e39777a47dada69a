package events.api;

import java.util.concurrent.ThreadLocalRandom;

import org.jspecify.annotations.Nullable;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;

import com.github.f4b6a3.ulid.Ulid;

import events.logging.RequestMdc;

import reactor.util.context.Context;

/**
 * {@code X-Request-Id} (api.md 15): every response carries the client's id when it sent a sane one (1–128
 * printable ASCII characters, no spaces), else a new ULID; a bad one is replaced, never echoed. The id
 * goes into the Reactor context of the whole exchange, error handlers included; the lines written for the
 * request put it into their MDC ({@link RequestMdc}).
 *
 * <p>A decorator of the whole {@link HttpHandler} rather than a {@code WebFilter}: filters run inside
 * the exception handlers, and the error lines those write belong to the request too.
 */
public final class RequestIds implements HttpHandlerDecoratorFactory {

    /** The request and response header. */
    public static final String HEADER = "X-Request-Id";
    /** The MDC key, and the key of the Reactor context. */
    public static final String MDC_KEY = RequestMdc.KEY;
    static final int MAX_LENGTH = 128;
    private static final int RANDOM_BYTES = 10;

    @Override
    public HttpHandler apply(HttpHandler handler) {
        return (request, response) -> {
            String sent = request.getHeaders().getFirst(HEADER);
            String id = sane(sent) ? sent : generate();
            response.getHeaders().set(HEADER, id);
            return handler.handle(request, response).contextWrite(Context.of(MDC_KEY, id));
        };
    }

    /** 1–128 characters, each printable ASCII other than space ({@code !} to {@code ~}). */
    static boolean sane(@Nullable String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < '!' || c > '~') {
                return false;
            }
        }
        return true;
    }

    /**
     * A ULID: time-ordered, so log lines sort by it. {@link ThreadLocalRandom}, not {@code SecureRandom}:
     * a request id is no secret, and the default {@code SecureRandom} reads {@code /dev/urandom} on an
     * event loop.
     */
    static String generate() {
        byte[] random = new byte[RANDOM_BYTES];
        ThreadLocalRandom.current().nextBytes(random);
        return new Ulid(System.currentTimeMillis(), random).toString();
    }
}
