package events.api;

import java.time.Duration;

import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;

import events.db.AcquireBudget;
import reactor.core.publisher.Mono;

/**
 * Gives each request one {@link AcquireBudget}: however many connections it takes in turn (session
 * check, then statement), it waits at most {@code acquire_timeout_ms} for them in all before its 503.
 */
final class AcquireBudgetFilter extends NamedWebFilter {

    private final Duration acquireTimeout;

    AcquireBudgetFilter(Duration acquireTimeout) {
        this.acquireTimeout = acquireTimeout;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        return chain.filter(exchange).contextWrite(context -> context.put(AcquireBudget.class,
                new AcquireBudget(acquireTimeout)));
    }
}
