package events.api;

import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.event.Level;
import org.springframework.http.server.reactive.ServerHttpResponse;

/**
 * One log line per request (api.md 15) on the logger {@code events.access}: at {@code info} with
 * {@code access_log: true}, else at {@code debug}. Written by {@link HttpServerMetrics} once the response
 * is complete (a stream at its last line, an error after its envelope, a client that went away when it
 * left), with the route template and status the {@code http.server.requests} metric records, so logs and
 * metrics name requests alike.
 *
 * <p>Key-value pairs for structured logs: {@code method}, {@code route}, {@code path}, {@code status},
 * {@code latencyMs}; the request id is in the MDC ({@link RequestIds#MDC_KEY}).
 */
final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("events.access");
    private static final int MAX_PATH = 200;

    private final Level level;

    AccessLog(boolean accessLog) {
        this.level = accessLog ? Level.INFO : Level.DEBUG;
    }

    void write(String method, String path, String route, String status, long nanos, ServerHttpResponse response) {
        if (!log.isEnabledForLevel(level)) {
            return;
        }
        double latencyMs = Math.round(nanos / 10_000.0) / 100.0;
        String shownPath = path.length() > MAX_PATH ? path.substring(0, MAX_PATH) + "..." : path;
        String id = response.getHeaders().getFirst(RequestIds.HEADER);
        String previous = MDC.get(RequestIds.MDC_KEY);
        if (id != null) {
            MDC.put(RequestIds.MDC_KEY, id); // the request may end on a thread without its MDC
        }
        try {
            log.atLevel(level)
                    .addKeyValue("method", method)
                    .addKeyValue("route", route)
                    .addKeyValue("path", shownPath)
                    .addKeyValue("status", statusValue(status))
                    .addKeyValue("latencyMs", latencyMs)
                    .log("{} {} {} {} ms ({})", method, shownPath, status, String.format(Locale.ROOT, "%.2f", latencyMs),
                            route);
        } finally {
            if (previous == null) {
                MDC.remove(RequestIds.MDC_KEY);
            } else {
                MDC.put(RequestIds.MDC_KEY, previous);
            }
        }
    }

    /** The status as a number in structured logs; {@code UNKNOWN} (a client that went away) stays text. */
    private static Object statusValue(String status) {
        try {
            return Integer.parseInt(status);
        } catch (NumberFormatException e) {
            return status;
        }
    }
}
