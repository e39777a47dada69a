package events.api;

import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.reactive.CorsConfigurationSource;
import org.springframework.web.cors.reactive.CorsProcessor;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.cors.reactive.DefaultCorsProcessor;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;

import events.error.ApiError;
import events.error.ApiException;
import reactor.core.publisher.Mono;

/**
 * CORS for the browser UIs on {@code cors_origins}, as Spring's {@code CorsWebFilter} does it, except that a
 * refused cross-origin request gets the error envelope (403 {@code forbidden}) rather than an empty body.
 */
final class CorsFilter extends NamedWebFilter {

    private static final int MAX_SHOWN = 40;

    private final CorsConfigurationSource source;
    private final CorsProcessor processor = new DefaultCorsProcessor();
    private final ErrorResponses errors;

    CorsFilter(CorsConfigurationSource source, ErrorResponses errors) {
        this.source = source;
        this.errors = errors;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        CorsConfiguration configuration = source.getCorsConfiguration(exchange);
        if (!processor.process(configuration, exchange)) {
            String origin = String.valueOf(exchange.getRequest().getHeaders().getOrigin());
            String shown = RequestBodies.shown(origin.length() > MAX_SHOWN ? origin.substring(0, MAX_SHOWN) + "..." : origin);
            return errors.handle(exchange, new ApiException(new ApiError.Forbidden("Origin " + shown
                    + " may not call this API (CORS)")));
        }
        if (CorsUtils.isPreFlightRequest(exchange.getRequest())) {
            return Mono.empty();
        }
        return chain.filter(exchange);
    }
}
