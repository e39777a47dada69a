package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatusCode;

/** The tag values {@link HttpServerMetrics} gives where Spring's observation convention gave them. */
final class HttpServerMetricsTests {

    @Test
    void theOutcomeIsTheStatusClass() {
        assertThat(HttpServerMetrics.outcome(101)).isEqualTo("INFORMATIONAL");
        assertThat(HttpServerMetrics.outcome(204)).isEqualTo("SUCCESS");
        assertThat(HttpServerMetrics.outcome(304)).isEqualTo("REDIRECTION");
        assertThat(HttpServerMetrics.outcome(429)).isEqualTo("CLIENT_ERROR");
        assertThat(HttpServerMetrics.outcome(503)).isEqualTo("SERVER_ERROR");
        assertThat(HttpServerMetrics.outcome(99)).isEqualTo("UNKNOWN");
        assertThat(HttpServerMetrics.outcome(600)).isEqualTo("UNKNOWN");
    }

    @Test
    void theUriIsTheRouteTemplateElseNamedByTheStatus() {
        assertThat(HttpServerMetrics.uri("/api/{entity}/{id}", HttpStatusCode.valueOf(404))).isEqualTo("/api/{entity}/{id}");
        assertThat(HttpServerMetrics.uri("", HttpStatusCode.valueOf(200))).isEqualTo("root");
        assertThat(HttpServerMetrics.uri(null, HttpStatusCode.valueOf(404))).isEqualTo("NOT_FOUND");
        assertThat(HttpServerMetrics.uri(null, HttpStatusCode.valueOf(302))).isEqualTo("REDIRECTION");
        assertThat(HttpServerMetrics.uri(null, HttpStatusCode.valueOf(400))).isEqualTo("UNKNOWN");
        assertThat(HttpServerMetrics.uri(null, null)).isEqualTo("UNKNOWN");
    }
}
