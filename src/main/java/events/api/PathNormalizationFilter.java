package events.api;

import java.util.regex.Pattern;

import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;

import reactor.core.publisher.Mono;

/**
 * {@code /api/User/} and {@code /api/User//} mean the list (api.md 3.1): doubled slashes collapse and a
 * trailing one goes before routing, so the router needs one pattern per route.
 */
final class PathNormalizationFilter extends NamedWebFilter {

    private static final Pattern SLASHES = Pattern.compile("/{2,}");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (!path.startsWith("/api/") && !path.startsWith("//")) {
            return chain.filter(exchange);
        }
        // Most paths need nothing: no regular expression for them (String.replaceAll compiles one per call).
        if (!path.contains("//") && !path.endsWith("/")) {
            return chain.filter(exchange);
        }
        String normalized = SLASHES.matcher(path).replaceAll("/");
        if (normalized.length() > 1 && normalized.endsWith("/")) {
            normalized = normalized.substring(0, normalized.length() - 1);
        }
        if (normalized.equals(path)) {
            return chain.filter(exchange);
        }
        String target = normalized;
        return chain.filter(exchange.mutate().request(r -> r.path(target)).build());
    }
}
