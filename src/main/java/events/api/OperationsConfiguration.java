package events.api;

import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;

import events.auth.Sessions;
import events.config.EventsConfig;
import events.documents.ImportMetrics;
import events.schema.Schema;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationPredicate;
import io.micrometer.observation.ObservationRegistry;
import tools.jackson.databind.json.JsonMapper;

/**
 * Operations (api.md 15): the OpenAPI document and Swagger UI, request ids, the access log and the
 * metrics that Spring Boot does not make itself, HTTP server metrics by route template among them
 * ({@link HttpServerMetrics}). Prometheus, R2DBC pool gauges and JVM metrics are Spring Boot's;
 * {@code EventsServer} sets their properties.
 */
@Configuration(proxyBeanMethods = false)
public class OperationsConfiguration {

    /**
     * The documentation routes, before the API's router ({@link Routes}), whose {@code /api/{entity}}
     * would otherwise take {@code /api/openapi.json} for an entity. None needs a session.
     */
    @Bean
    @Order(-1)
    RouterFunction<ServerResponse> operationsRoutes(EventsConfig config, Schema schema, Sessions sessions,
                                                    JsonMapper eventsJsonMapper) {
        OperationsHandler handler = new OperationsHandler(OpenApiDocument.of(schema, config, sessions.enabled()),
                eventsJsonMapper);
        return route()
                .GET("/api/openapi.json", handler::openApi)
                .GET("/openapi.json", handler::openApi)
                .GET("/docs", handler::docs)
                .GET("/docs/", handler::docs)
                .build();
    }

    /** {@code X-Request-Id} on every response, and in the MDC of every log line of the request. */
    @Bean
    RequestIds requestIds() {
        return new RequestIds();
    }

    /**
     * {@code http.server.requests} and a line per request (at {@code info} with {@code access_log: true},
     * else at {@code debug}), in place of Spring's HTTP server observation, switched off below.
     */
    @Bean
    HttpServerMetrics httpServerMetrics(MeterRegistry registry, EventsConfig config) {
        return new HttpServerMetrics(registry, new AccessLog(config.accessLog()));
    }

    /** The first filter: hands the exchange to {@link HttpServerMetrics}' record of the request. */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    WebFilter httpServerMetricsExchangeLink() {
        return HttpServerMetrics.exchangeLink();
    }

    /**
     * {@link HttpServerMetrics} records what Spring's HTTP server observation would: the same meters, at less
     * cost per request. So the API's handler gets no observation registry at all (the cheapest way out)...
     */
    @Bean
    WebHttpHandlerBuilderCustomizer noHttpServerObservation() {
        return builder -> builder.observationRegistry(ObservationRegistry.NOOP);
    }

    /**
     * ... and no HTTP server request is observed anywhere else either: Actuator's handler on its own
     * {@code management.port} is built without that customizer, but with our decorator, and would count
     * its requests twice.
     */
    @Bean
    ObservationPredicate noHttpServerRequestObservations() {
        return (name, context) -> !(context instanceof ServerRequestObservationContext);
    }

    @Bean(destroyMethod = "close")
    SessionGauge sessionGauge(Sessions sessions) {
        return new SessionGauge(sessions);
    }

    /** Import progress by entity: running imports, lines received and what became of them. */
    @Bean
    ImportMetrics importMetrics(Schema schema) {
        return new ImportMetrics(schema);
    }
}
