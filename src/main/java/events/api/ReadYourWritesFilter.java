package events.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;

import events.db.ReadRouting;
import events.db.WalPosition;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * Read-your-writes with read replicas (issue 14), across server processes and within one.
 * <p>
 * Every answer to a request that may write (any method but GET, HEAD and OPTIONS) sets the
 * {@value #COOKIE} cookie to the primary's WAL position read just before the answer's headers leave,
 * after the request's transactions committed. A request that sends it back, to any server process,
 * has its reads served by a replica only once that replica has replayed past it, else by the primary.
 * The cookie lives {@code read_your_writes_ms} (rounded up to seconds). Its value is checked strictly
 * ({@link WalPosition#parse}); a malformed one is ignored. An answer that starts before its writes end
 * (an import's progress lines) cannot know the final position: its cookie is
 * {@link WalPosition#UNREACHED}, the primary for the cookie's life.
 * <p>
 * Within this process, for clients that send the session cookie back but not this one, the session's
 * reads are also pinned ({@link ReadRouting#writeStarted}, {@link ReadRouting#writeFinished}) from
 * before the write starts until a replica has replayed the position read after it ended. Requests
 * without a session have only the cookie. Installed only when replicas are configured.
 */
final class ReadYourWritesFilter extends NamedWebFilter {

    static final String COOKIE = "events_lsn";

    private static final Logger log = LoggerFactory.getLogger(ReadYourWritesFilter.class);

    private final ReadRouting routing;
    private final Duration maxAge;
    private final boolean secureCookie;

    /**
     * {@code readYourWrites}: {@code read_your_writes_ms}; {@code secureCookie}: whether the cookie is
     * {@code Secure}, as the session cookie is.
     */
    ReadYourWritesFilter(ReadRouting routing, Duration readYourWrites, boolean secureCookie) {
        this.routing = Objects.requireNonNull(routing, "routing must not be null");
        this.maxAge = Duration.ofSeconds((readYourWrites.toMillis() + 999) / 1000);
        this.secureCookie = secureCookie;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        HttpCookie session = exchange.getRequest().getCookies().getFirst(AuthHandler.COOKIE);
        String key = session == null || session.getValue().isEmpty() ? null : key(session.getValue());
        Optional<WalPosition> lastWrite = lastWrite(exchange.getRequest().getCookies().get(COOKIE));
        HttpMethod method = exchange.getRequest().getMethod();
        boolean mayWrite = !HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)
                && !HttpMethod.OPTIONS.equals(method);
        Mono<Void> request = mayWrite ? write(exchange, chain, key) : chain.filter(exchange);
        return request.contextWrite(context -> {
            Context withSession = key == null ? context : context.put(ReadRouting.Session.class, new ReadRouting.Session(key));
            return lastWrite.map(position -> withSession.put(ReadRouting.LastWrite.class, new ReadRouting.LastWrite(position)))
                    .orElse(withSession);
        });
    }

    /** The highest well-formed position among the request's {@value #COOKIE} cookies; the others are ignored. */
    static Optional<WalPosition> lastWrite(@Nullable List<HttpCookie> cookies) {
        if (cookies == null) {
            return Optional.empty();
        }
        return cookies.stream().map(cookie -> WalPosition.parse(cookie.getValue())).flatMap(Optional::stream)
                .max(WalPosition::compareTo);
    }

    /**
     * A request that may write: its answer's headers get the position (read when they are about to
     * leave), and the session's pin spans the request; the position the pin keeps is the one of the
     * answer, or, for an answer that started before the writes ended, one read after the end.
     */
    private Mono<Void> write(ServerWebExchange exchange, WebFilterChain chain, @Nullable String key) {
        return Mono.defer(() -> {
            AtomicReference<WalPosition> answered = new AtomicReference<>();
            ServerHttpResponse response = exchange.getResponse();
            response.beforeCommit(() -> answer(response, answered));
            if (key == null) {
                return chain.filter(exchange);
            }
            routing.writeStarted(key);
            // After the write ended, whatever its outcome; a cancelled request keeps its pin (primary
            // only) until read_your_writes_ms has passed.
            Mono<Void> finished = Mono.defer(() -> {
                WalPosition known = answered.get();
                return (known != null ? Mono.just(known) : position()).doOnNext(p -> routing.writeFinished(key, p));
            }).then();
            return chain.filter(exchange)
                    .onErrorResume(e -> finished.then(Mono.error(e)))
                    .then(finished);
        });
    }

    /**
     * Sets the cookie as the headers leave. An NDJSON answer to a write (an import's progress) leaves
     * before its later batches commit: it gets {@link WalPosition#UNREACHED}. Any other answer is built
     * after its transactions committed (their results end with the commit), so the position read now is
     * past them.
     */
    private Mono<Void> answer(ServerHttpResponse response, AtomicReference<WalPosition> answered) {
        MediaType type = response.getHeaders().getContentType();
        if (type != null && type.isCompatibleWith(MediaType.APPLICATION_NDJSON)) {
            response.addCookie(cookie(WalPosition.UNREACHED));
            return Mono.empty();
        }
        return position().doOnNext(position -> {
            answered.set(position);
            response.addCookie(cookie(position));
        }).then();
    }

    /**
     * The primary's position now; {@link WalPosition#UNREACHED} when it cannot be read (reads then go to
     * the primary for the cookie's life, or the pin's), never an error: the answer is not spoiled.
     */
    private Mono<WalPosition> position() {
        return routing.primaryPosition()
                .onErrorResume(e -> {
                    log.debug("Could not read the primary's WAL position after a write: {}",
                            ErrorResponses.toApiError(e).entries().get(0).message());
                    return Mono.empty();
                })
                .defaultIfEmpty(WalPosition.UNREACHED);
    }

    private ResponseCookie cookie(WalPosition position) {
        return ResponseCookie.from(COOKIE, position.toString()).httpOnly(true).sameSite("Lax").path("/")
                .secure(secureCookie).maxAge(maxAge).build();
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
