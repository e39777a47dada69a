package events.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

import org.springframework.http.HttpCookie;
import org.springframework.http.HttpMethod;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import events.db.ReadRouting;
import reactor.core.publisher.Mono;

/**
 * Read-your-writes with read replicas (issue 14): names the request's session in the Reactor context
 * (the reads of {@link ReadRouting} look it up), and around every request that may write (any method
 * but GET, HEAD and OPTIONS) pins that session's reads to the primary: from before the write starts
 * until a replica has replayed past the primary's WAL position read after it ended. Requests without
 * a session cookie share one key (with sessions off, every client's write pins every anonymous read
 * until a replica catches up). Installed only when replicas are configured.
 */
final class ReadYourWritesFilter implements WebFilter {

    private static final String ANONYMOUS = "";

    private final ReadRouting routing;

    ReadYourWritesFilter(ReadRouting routing) {
        this.routing = routing;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        HttpCookie cookie = exchange.getRequest().getCookies().getFirst(AuthHandler.COOKIE);
        String key = cookie == null || cookie.getValue().isEmpty() ? ANONYMOUS : key(cookie.getValue());
        HttpMethod method = exchange.getRequest().getMethod();
        boolean mayWrite = !HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)
                && !HttpMethod.OPTIONS.equals(method);
        Mono<Void> request = chain.filter(exchange);
        if (mayWrite) {
            request = Mono.defer(() -> {
                routing.writeStarted(key);
                // After the write ended, whatever its outcome; a cancelled request keeps its pin (primary
                // only) until read_your_writes_ms has passed.
                return chain.filter(exchange)
                        .onErrorResume(e -> routing.writeFinished(key).then(Mono.error(e)))
                        .then(Mono.defer(() -> routing.writeFinished(key)));
            });
        }
        return request.contextWrite(context -> context.put(ReadRouting.Session.class, new ReadRouting.Session(key)));
    }

    /** The session's key: a digest of its token, so that tokens are not kept in this process's memory. */
    private static String key(String token) {
        try {
            return Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
