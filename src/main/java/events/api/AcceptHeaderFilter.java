package events.api;

import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.util.MimeTypeUtils;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;

import reactor.core.publisher.Mono;

/**
 * An {@code Accept} header that does not parse ({@code *}{@code /*;q=garbage}, {@code ;;}) means
 * {@code *}{@code /*} (api.md 3.4). It is replaced before anything negotiates on it, so our handlers,
 * Spring's content negotiation and Actuator all see a valid header on every route, errors included.
 */
final class AcceptHeaderFilter extends NamedWebFilter {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        List<String> accept = exchange.getRequest().getHeaders().getOrEmpty(HttpHeaders.ACCEPT);
        String repaired = accept.isEmpty() ? null : repaired(accept);
        if (repaired == null) {
            return chain.filter(exchange);
        }
        return chain.filter(exchange.mutate()
                .request(request -> request.headers(headers -> headers.set(HttpHeaders.ACCEPT, repaired)))
                .build());
    }

    /**
     * The header to use instead of {@code values}, or null to keep them. Empty entries ({@code ,,,}) go
     * too: Spring skips them, but Actuator parses each entry and fails on an empty one.
     */
    static @Nullable String repaired(List<String> values) {
        List<MediaType> types;
        try {
            types = MediaType.parseMediaTypes(values);
        } catch (InvalidMediaTypeException e) {
            return MediaType.ALL_VALUE;
        }
        boolean emptyEntry = values.stream().flatMap(value -> MimeTypeUtils.tokenize(value).stream())
                .anyMatch(String::isBlank);
        if (!emptyEntry) {
            return null;
        }
        return types.isEmpty() ? MediaType.ALL_VALUE : MediaType.toString(types);
    }
}
