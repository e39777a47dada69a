package events.api;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.auth.Sessions;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The gauge {@value #NAME}: sessions not yet expired in the database, shared by every server process.
 * Counted every {@link #INTERVAL} in the background, never while Prometheus scrapes (a gauge is read on
 * the scraping thread, which must not wait for the database).
 */
final class SessionGauge implements MeterBinder, AutoCloseable {

    static final String NAME = "events.sessions.active";
    static final Duration INTERVAL = Duration.ofSeconds(15);
    private static final Logger log = LoggerFactory.getLogger(SessionGauge.class);

    private final AtomicLong count = new AtomicLong();
    private final Disposable refresh;

    SessionGauge(Sessions sessions) {
        this.refresh = sessions.enabled() ? Flux.interval(Duration.ZERO, INTERVAL)
                .concatMap(tick -> sessions.countUnexpired()
                        .doOnNext(count::set)
                        .onErrorResume(e -> {
                            log.debug("Counting sessions failed: {}", e.toString());
                            return Mono.empty();
                        }))
                .subscribe() : Flux.never().subscribe();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(NAME, count, AtomicLong::get)
                .description("Login sessions not yet expired (all server processes of the database)")
                .register(registry);
    }

    @Override
    public void close() {
        refresh.dispose();
    }
}
