package events.api;

import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.event.Level;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;

import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;

/**
 * One log line per request (api.md 15) on the logger {@code events.access}: at {@code info} with
 * {@code access_log: true}, else at {@code debug}. Written when Spring's HTTP server observation stops,
 * that is once the response is complete (a stream at its last line, an error after its envelope, a
 * client that went away when it left), with the route template and status the
 * {@code http.server.requests} metric records, so logs and metrics name requests alike.
 *
 * <p>Key-value pairs for structured logs: {@code method}, {@code route}, {@code path}, {@code status},
 * {@code latencyMs}; the request id is in the MDC ({@link RequestIds#MDC_KEY}).
 */
final class AccessLog implements ObservationHandler<ServerRequestObservationContext> {

    private static final Logger log = LoggerFactory.getLogger("events.access");
    private static final int MAX_PATH = 200;

    private final Level level;

    AccessLog(boolean accessLog) {
        this.level = accessLog ? Level.INFO : Level.DEBUG;
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context instanceof ServerRequestObservationContext;
    }

    @Override
    public void onStart(ServerRequestObservationContext context) {
        context.put(Start.class, new Start(System.nanoTime()));
    }

    @Override
    public void onStop(ServerRequestObservationContext context) {
        if (!log.isEnabledForLevel(level)) {
            return;
        }
        Start start = context.get(Start.class);
        double latencyMs = start == null ? 0 : Math.round((System.nanoTime() - start.nanos()) / 10_000.0) / 100.0;
        String method = value(context, "method");
        String route = value(context, "uri");
        String status = value(context, "status");
        String path = context.getCarrier().getPath().value();
        String shownPath = path.length() > MAX_PATH ? path.substring(0, MAX_PATH) + "..." : path;
        ServerHttpResponse response = context.getResponse();
        String id = response == null ? null : response.getHeaders().getFirst(RequestIds.HEADER);
        String previous = MDC.get(RequestIds.MDC_KEY);
        if (id != null) {
            MDC.put(RequestIds.MDC_KEY, id); // the observation may stop on a thread without the request's MDC
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

    private static String value(ServerRequestObservationContext context, String key) {
        KeyValue value = context.getLowCardinalityKeyValue(key);
        return value == null ? "UNKNOWN" : value.getValue();
    }

    /** The status as a number in structured logs; {@code UNKNOWN} (a client that went away) stays text. */
    private static Object statusValue(String status) {
        try {
            return Integer.parseInt(status);
        } catch (NumberFormatException e) {
            return status;
        }
    }

    private record Start(long nanos) {
    }
}
