package events.api;

import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import reactor.core.publisher.Mono;

/**
 * {@code /api/User/} and {@code /api/User//} mean the list (api.md 3.1): doubled slashes collapse and a
 * trailing one goes before routing, so the router needs one pattern per route.
 */
final class PathNormalizationFilter implements WebFilter {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (!path.startsWith("/api/") && !path.startsWith("//")) {
            return chain.filter(exchange);
        }
        String normalized = path.replaceAll("/{2,}", "/");
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
