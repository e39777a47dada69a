package events.api;

import java.time.Clock;
import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import io.micrometer.core.instrument.binder.MeterBinder;
import events.db.ReadRouting;
import org.springframework.context.annotation.Configuration;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.reactive.UrlBasedCorsConfigurationSource;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import events.config.EventsConfig;
import events.db.DocumentStore;
import events.auth.PasswordHasher;
import events.auth.Sessions;
import events.db.SessionStore;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import events.documents.DocumentImport;
import events.documents.DocumentService;
import events.documents.ImportMetrics;
import events.documents.NdjsonLines;
import events.documents.ReadChecks;
import events.query.CountMode;
import events.schema.DocumentValidator;
import events.schema.Schema;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wires the HTTP layer: router, handlers, error rendering, path normalisation, {@code Accept} repair, CORS
 * and the connection limits.
 */
@Configuration(proxyBeanMethods = false)
public class ApiConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ApiConfiguration.class);

    /** bcrypt cost: 2^10 rounds, about 50-100 ms of one core per hash. */
    private static final int BCRYPT_STRENGTH = 10;
    private static final Duration SESSION_PURGE_INTERVAL = Duration.ofMinutes(5);

    /**
     * Event loops of this server's own: with Reactor's global ones, closing one server in a JVM (tests
     * run several) would stop the loops of all the others.
     */
    @Bean
    ReactorResourceFactory reactorResourceFactory() {
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        return factory;
    }

    @Bean
    JsonMapper eventsJsonMapper() {
        return Envelopes.JSON;
    }

    @Bean
    PasswordHasher passwordHasher() {
        return new PasswordHasher(BCRYPT_STRENGTH);
    }

    @Bean
    DocumentService documentService(EventsConfig config, Schema schema, DocumentStore store, PasswordHasher hasher,
                                    Sessions sessions) {
        return new DocumentService(schema, store, new DocumentValidator(), hasher,
                ReadChecks.of(config.validation()), Clock.systemUTC(), sessions);
    }

    @Bean
    Sessions sessions(EventsConfig config, Schema schema, DocumentStore store, SessionStore sessionStore,
                      PasswordHasher hasher) {
        return new Sessions(schema, store, sessionStore, hasher, config.session());
    }

    /** Expired sessions go in a periodic sweep, never on a request. */
    @Bean(destroyMethod = "dispose")
    Disposable sessionPurge(Sessions sessions) {
        return Flux.interval(SESSION_PURGE_INTERVAL, SESSION_PURGE_INTERVAL)
                .concatMap(tick -> sessions.purgeExpired()
                        .doOnNext(count -> log.debug("Purged {} expired sessions", count))
                        .onErrorResume(e -> {
                            log.warn("Purging expired sessions failed; retrying in {} min: {}",
                                    SESSION_PURGE_INTERVAL.toMinutes(), ErrorResponses.toApiError(e).entries().get(0).message());
                            return Mono.empty();
                        }))
                .subscribe();
    }

    @Bean(destroyMethod = "close")
    StreamStallGuard streamStallGuard(EventsConfig config) {
        return new StreamStallGuard(Duration.ofSeconds(config.streamStallSeconds()));
    }

    @Bean
    RequestBodies requestBodies(JsonMapper eventsJsonMapper) {
        return new RequestBodies(eventsJsonMapper, RequestBodies.DEFAULT_LIMIT);
    }

    @Bean
    ErrorResponses errorResponses(JsonMapper eventsJsonMapper) {
        return new ErrorResponses(eventsJsonMapper);
    }

    /** Before Boot's own handler (order -1), so every error leaves as our envelope. */
    @Bean
    @Order(-2)
    WebExceptionHandler eventsExceptionHandler(ErrorResponses errors) {
        return errors::handle;
    }

    @Bean
    RouterFunction<ServerResponse> routes(EventsConfig config, Schema schema, DocumentStore store,
                                          DocumentService documents, RequestBodies bodies, ErrorResponses errors,
                                          JsonMapper eventsJsonMapper, Sessions sessions,
                                          StreamStallGuard stallGuard, ImportMetrics importMetrics) {
        return Routes.of(schema, new AuthHandler(sessions, bodies, config.session()),
                new AdminHandler(config, schema, store, bodies, eventsJsonMapper, sessions),
                new EntityHandler(schema, documents, bodies, new NdjsonResponses(eventsJsonMapper, stallGuard), sessions,
                        CountMode.of(config.defaultCount()).orElseThrow(),
                        imports(documents, store, eventsJsonMapper, importMetrics)),
                errors);
    }

    /** Imports (api.md 12.2): each line parsed as strictly as a request body. */
    static DocumentImport imports(DocumentService documents, DocumentStore store, JsonMapper json,
                                  ImportMetrics metrics) {
        JsonBodyParser lines = new JsonBodyParser(json, "Line");
        return new DocumentImport(documents, store, lines::parse, NdjsonLines.DEFAULT_LIMIT, metrics);
    }

    /**
     * The router functions are asked first: Spring's default puts Actuator's mappings first, and they
     * check every request's {@code Accept} against each endpoint before its path. Nothing of ours lies
     * under {@code /actuator} or {@code /webjars}, so those still reach their mappings.
     */
    @Bean
    static BeanPostProcessor routerFunctionsFirst() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String name) {
                if (bean instanceof RouterFunctionMapping mapping) {
                    mapping.setOrder(Ordered.HIGHEST_PRECEDENCE);
                }
                return bean;
            }
        };
    }

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 1)
    WebFilter pathNormalization() {
        return new PathNormalizationFilter();
    }

    /** {@code /actuator/health/readiness} includes this (as {@code database}). */
    @Bean
    DatabaseHealthIndicator databaseHealthIndicator(EventsConfig config, DocumentStore store) {
        return new DatabaseHealthIndicator(store, Duration.ofMillis(config.pool().acquireTimeoutMs()));
    }

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 3)
    WebFilter acquireBudget(EventsConfig config) {
        return new AcquireBudgetFilter(Duration.ofMillis(config.pool().acquireTimeoutMs()));
    }

    /** Read-your-writes over read replicas ({@code db_read_uris}); a pass-through without replicas. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 4)
    WebFilter readYourWrites(EventsConfig config, DocumentStore store) {
        ReadRouting routing = store.readRouting();
        return routing.enabled()
                ? new ReadYourWritesFilter(routing, Duration.ofMillis(config.readYourWritesMs()), config.session().secureCookie())
                : new NoReadReplicas();
    }

    /** Each replica's lag and state, and where reads went ({@code events.db.replica.*}). */
    @Bean
    MeterBinder readReplicaMetrics(DocumentStore store) {
        return store.readRouting() instanceof MeterBinder binder ? binder : registry -> { };
    }

    /** Before anything negotiates on {@code Accept}, Actuator included. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 1)
    WebFilter acceptHeader() {
        return new AcceptHeaderFilter();
    }

    /** Header and idle timeouts, and the envelope on requests refused before routing. */
    @Bean
    NettyServerCustomizer httpConnectionLimits(EventsConfig config, JsonMapper eventsJsonMapper) {
        return new HttpConnectionLimits(config.http(), eventsJsonMapper);
    }

    /** Browser UIs on the configured origins may call the API with credentials; others get a 403 envelope. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE + 2)
    WebFilter corsFilter(EventsConfig config, ErrorResponses errors) {
        CorsConfiguration cors = new CorsConfiguration();
        cors.setAllowedOrigins(config.corsOrigins());
        cors.setAllowCredentials(true);
        cors.addAllowedHeader("*");
        cors.addAllowedMethod("*");
        cors.setMaxAge(3600L);
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        source.registerCorsConfiguration("/api/**", cors);
        return new CorsFilter(source, errors);
    }

    /** Without read replicas there is nothing to route: the request passes. */
    private static final class NoReadReplicas extends NamedWebFilter {
        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            return chain.filter(exchange);
        }
    }
}
