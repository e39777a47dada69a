package events.api;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.error.ApiError;
import events.error.ApiException;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Ends streams whose client has stopped reading (api.md 5.5, {@code stream_stall_seconds}). A stream
 * is stalled when its subscriber — Netty, writing to the client — has asked for nothing more for the
 * stall time: time spent waiting for the database while demand is outstanding does not count. One
 * shared timer checks every open stream, rather than a timer per stream.
 */
final class StreamStallGuard implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamStallGuard.class);

    private final long stallNanos;
    private final Set<Watched> open = ConcurrentHashMap.newKeySet();
    private final Disposable timer;

    StreamStallGuard(Duration stall) {
        this.stallNanos = stall.toNanos();
        Duration check = stall.dividedBy(4).compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1)
                : stall.dividedBy(4);
        this.timer = Flux.interval(check, check).subscribe(tick -> open.forEach(Watched::endIfStalled));
    }

    /**
     * {@code stream}, ended with a {@link StalledStreamException} once stalled. The error after the first
     * line makes the response end abnormally; the cancel upstream releases the database connection.
     */
    <T> Flux<T> guard(Flux<T> stream) {
        return guard(stream, false);
    }

    /**
     * A request body read as a stream (an import, api.md 12.2), ended with a 408 once its client has sent
     * nothing for the stall time while the server was waiting for more: otherwise a client that stops
     * sending mid-body would hold the import (and, when atomic, its transaction) for ever. Time the
     * server spends writing, without asking for more input, does not count.
     */
    <T> Flux<T> guardInput(Flux<T> body) {
        return guard(body, true);
    }

    private <T> Flux<T> guard(Flux<T> stream, boolean input) {
        return Flux.defer(() -> {
            Watched watched = new Watched(input);
            Flux<T> tracked = stream
                    .doOnNext(item -> watched.delivered())
                    .doOnRequest(watched::requested)
                    .doFinally(signal -> {
                        open.remove(watched);
                        watched.stalled.tryEmitEmpty();
                    });
            open.add(watched);
            return tracked.mergeWith(watched.stalled.asMono().then(Mono.empty()));
        });
    }

    @Override
    public void close() {
        timer.dispose();
    }

    /**
     * One open stream: its outstanding demand and when it last made progress. An output stream is stalled
     * when nothing was asked of it for the stall time; an input stream when something was asked and
     * nothing came.
     */
    private final class Watched {

        final boolean input;
        final Sinks.Empty<Void> stalled = Sinks.empty();
        final AtomicLong outstanding = new AtomicLong();
        final AtomicLong lastProgress = new AtomicLong(System.nanoTime());

        Watched(boolean input) {
            this.input = input;
        }

        void requested(long n) {
            outstanding.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            lastProgress.set(System.nanoTime());
        }

        void delivered() {
            outstanding.decrementAndGet();
            lastProgress.set(System.nanoTime());
        }

        void endIfStalled() {
            boolean waiting = input ? outstanding.get() > 0 : outstanding.get() <= 0;
            if (!waiting || System.nanoTime() - lastProgress.get() <= stallNanos) {
                return;
            }
            long seconds = stallNanos / 1_000_000_000L;
            if (input) {
                if (stalled.tryEmitError(new ApiException(new ApiError.RefusedRequest(408, "The request body stalled: "
                        + "nothing arrived for " + seconds + " s"))).isSuccess()) {
                    log.info("Ended a request whose client sent nothing for {} s", seconds);
                }
            } else if (stalled.tryEmitError(new StalledStreamException()).isSuccess()) {
                log.info("Ended a stream whose client read nothing for {} s", seconds);
            }
        }
    }

    /** A stream ended because its client stopped reading. */
    static final class StalledStreamException extends RuntimeException {
        StalledStreamException() {
            super("The client stopped reading the stream", null, false, false);
        }
    }
}
