package events.api;

import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

import events.auth.Sessions;
import events.config.EventsConfig;
import events.documents.ImportMetrics;
import events.schema.Schema;
import tools.jackson.databind.json.JsonMapper;

/**
 * Operations (api.md 15): the OpenAPI document and Swagger UI, request ids, the access log and the
 * metrics that Spring Boot does not make itself. Prometheus, HTTP server metrics by route template,
 * R2DBC pool gauges and JVM metrics are Spring Boot's; {@code EventsServer} sets their properties.
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

    /** A line per request: at {@code info} with {@code access_log: true}, else at {@code debug}. */
    @Bean
    AccessLog accessLog(EventsConfig config) {
        return new AccessLog(config.accessLog());
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
