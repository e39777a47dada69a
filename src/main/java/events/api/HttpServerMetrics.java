package events.api;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.server.handler.ExceptionHandlingWebHandler;

import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * The HTTP server metrics of api.md 15 ({@code http.server.requests}: a timer by route template, method,
 * status, outcome and exception; {@code http.server.requests.active}: requests in flight) and the access
 * line, written once per request in place of Spring's HTTP server observation, which is switched off
 * ({@link OperationsConfiguration}). The meters, tags and values are the ones Spring Boot's observation
 * handler gives; what changes is the cost (issue 9): a request finds its timer with one map lookup by
 * its tag values, where the observation built key values, tags and a meter id, and walked its handlers
 * and filters, at the start and again at the end of every request.
 *
 * <p>A decorator of the whole {@link HttpHandler}, so the status is the final one (an error envelope
 * written by the exception handlers included) and a client that went away is seen. The route template
 * is what the handler mappings record on the exchange, which the exchange hands over through
 * {@link #exchangeLink()}.
 */
public final class HttpServerMetrics implements HttpHandlerDecoratorFactory {

    static final String TIMER = "http.server.requests";
    static final String ACTIVE = TIMER + ".active";
    /**
     * Exchange attribute: the client went away mid-request ({@link ErrorResponses}); its value, whether the
     * answer was under way (committed) then.
     */
    static final String CLIENT_WENT_AWAY = HttpServerMetrics.class.getName() + ".clientWentAway";
    /** Reactor's context key for a sequence's own hook for errors after its end ({@code Hooks.KEY_ON_ERROR_DROPPED}). */
    private static final String ON_ERROR_DROPPED = "reactor.onErrorDropped.local";
    private static final String UNKNOWN = "UNKNOWN";
    private static final String NONE = "none";
    private static final Set<HttpMethod> METHODS = Set.of(HttpMethod.values());
    private static final String[] STATUS = new String[600];

    static {
        for (int code = 0; code < STATUS.length; code++) {
            STATUS[code] = Integer.toString(code);
        }
    }

    private final MeterRegistry registry;
    private final AccessLog accessLog;
    private final Map<String, LongTaskTimer> active = new ConcurrentHashMap<>();
    private final Map<Series, Timer> timers = new ConcurrentHashMap<>();

    HttpServerMetrics(MeterRegistry registry, AccessLog accessLog) {
        this.registry = registry;
        this.accessLog = accessLog;
    }

    @Override
    public HttpHandler apply(HttpHandler handler) {
        return (request, response) -> {
            String method = method(request);
            Exchange exchange = new Exchange(method, request, response, activeTimer(method).start());
            // Recorded before the end reaches the connection, so a client's next request sees this one's count.
            return handler.handle(request, response)
                    .doOnSuccess(done -> finish(exchange, null, false))
                    .doOnError(error -> finish(exchange, error, false))
                    .doOnCancel(() -> finish(exchange, null, true))
                    .contextWrite(Context.of(Exchange.class, exchange, ON_ERROR_DROPPED, ErrorResponses.DROPPED_ERRORS));
        };
    }

    /**
     * The first filter: gives the request's record the exchange, whose attributes hold the route template
     * and the exception the error handlers answered.
     */
    static WebFilter exchangeLink() {
        return new ExchangeLink();
    }

    /**
     * {@code unresolved}: an error no exception handler answered (the response was committed before it);
     * {@code aborted}: the client went away.
     */
    private void finish(Exchange exchange, @Nullable Throwable unresolved, boolean aborted) {
        long nanos = System.nanoTime() - exchange.start;
        exchange.active.stop();
        Map<String, Object> attributes = exchange.attributes;
        ServerRequestObservationContext context = attributes == null ? null
                : (ServerRequestObservationContext) attributes.get(
                        ServerRequestObservationContext.CURRENT_OBSERVATION_CONTEXT_ATTRIBUTE);
        Throwable handled = attributes == null ? null
                : (Throwable) attributes.get(ExceptionHandlingWebHandler.HANDLED_WEB_EXCEPTION);
        Throwable error = handled != null ? handled : unresolved;
        ServerHttpResponse response = exchange.response;
        Object wentAway = attributes == null ? null : attributes.get(CLIENT_WENT_AWAY);
        boolean answered = wentAway instanceof Boolean committed ? committed : response.isCommitted();
        aborted = aborted || wentAway != null;
        HttpStatusCode code = response.getStatusCode();
        String status = aborted && !answered || code == null ? UNKNOWN : status(code.value());
        String outcome = aborted || code == null ? UNKNOWN : outcome(code.value());
        String uri = uri(context == null ? null : context.getPathPattern(), code);
        String exception = error == null ? NONE : exceptionName(error);
        Series series = new Series(exchange.method, uri, status, outcome, exception);
        Timer timer = timers.get(series); // no lock when it is there (computeIfAbsent may take one)
        (timer != null ? timer : timers.computeIfAbsent(series, this::timer)).record(nanos, TimeUnit.NANOSECONDS);
        accessLog.write(exchange.method, exchange.request.getPath().value(), uri, status, nanos, response);
    }

    private Timer timer(Series series) {
        return Timer.builder(TIMER)
                .tags("error", series.exception(), "exception", series.exception(), "method", series.method(),
                        "outcome", series.outcome(), "status", series.status(), "uri", series.uri())
                .register(registry);
    }

    /**
     * Requests in flight by method. Tagged as Spring Boot's observation handler tagged them, with the
     * values a request has when it starts (no route yet), so the series keep their names.
     */
    private LongTaskTimer activeTimer(String method) {
        LongTaskTimer timer = active.get(method);
        return timer != null ? timer : active.computeIfAbsent(method, m -> LongTaskTimer.builder(ACTIVE)
                .tags("exception", NONE, "method", m, "outcome", "SUCCESS", "status", "200", "uri", UNKNOWN)
                .register(registry));
    }

    private static String method(ServerHttpRequest request) {
        HttpMethod method = request.getMethod();
        return METHODS.contains(method) ? method.name() : UNKNOWN;
    }

    private static String status(int code) {
        return code >= 0 && code < STATUS.length ? STATUS[code] : Integer.toString(code);
    }

    /** Spring's outcome of a status: its class. */
    static String outcome(int code) {
        return switch (code / 100) {
            case 1 -> "INFORMATIONAL";
            case 2 -> "SUCCESS";
            case 3 -> "REDIRECTION";
            case 4 -> "CLIENT_ERROR";
            case 5 -> "SERVER_ERROR";
            default -> UNKNOWN;
        };
    }

    /** The route template; without one, what Spring names the request by its status. */
    static String uri(@Nullable String pattern, @Nullable HttpStatusCode code) {
        if (pattern != null) {
            return pattern.isEmpty() ? "root" : pattern;
        }
        if (code != null && code.is3xxRedirection()) {
            return "REDIRECTION";
        }
        return code != null && code.value() == 404 ? "NOT_FOUND" : UNKNOWN;
    }

    private static String exceptionName(Throwable error) {
        String simple = error.getClass().getSimpleName();
        return simple.isEmpty() ? error.getClass().getName() : simple;
    }

    /** One series of the timer: its tag values. */
    private record Series(String method, String uri, String status, String outcome, String exception) {
    }

    /** What one request's metrics and access line need, gathered while it runs. */
    private static final class Exchange {
        final String method;
        final ServerHttpRequest request;
        final ServerHttpResponse response;
        final LongTaskTimer.Sample active;
        final long start = System.nanoTime();
        /** The exchange's attributes, once the first filter ran. */
        volatile @Nullable Map<String, Object> attributes;

        Exchange(String method, ServerHttpRequest request, ServerHttpResponse response, LongTaskTimer.Sample active) {
            this.method = method;
            this.request = request;
            this.response = response;
            this.active = active;
        }
    }

    private static final class ExchangeLink extends NamedWebFilter {
        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            return Mono.deferContextual(context -> {
                Exchange record = context.getOrDefault(Exchange.class, null);
                if (record != null) {
                    record.attributes = exchange.getAttributes();
                }
                return chain.filter(exchange);
            });
        }
    }
}
