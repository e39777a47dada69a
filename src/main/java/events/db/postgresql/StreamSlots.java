package events.db.postgresql;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import events.error.ApiError;
import events.error.ApiException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.pool.InstrumentedPool;
import reactor.pool.PoolAcquireTimeoutException;
import reactor.pool.PoolBuilder;
import reactor.pool.PooledRef;

/**
 * Streams together may hold at most half of the connection pool (api.md 5.5): a stream takes a slot
 * before it takes a connection, waits for one at most the acquire timeout, and gets a 503 after that.
 * The rest of the pool stays free for ordinary requests, however many slow readers there are.
 */
final class StreamSlots {

    private static final Object SLOT = new Object();

    private final InstrumentedPool<Object> slots;
    private final Duration acquireTimeout;
    private final int size;

    StreamSlots(int poolSize, Duration acquireTimeout) {
        this.size = Math.max(1, poolSize / 2);
        this.acquireTimeout = acquireTimeout;
        // reactor-pool as a non-blocking semaphore: no threads wait, pending acquires queue in order.
        this.slots = PoolBuilder.from(Mono.just(SLOT)).sizeBetween(0, size).maxPendingAcquireUnbounded().buildPool();
    }

    /** Runs {@code stream} while holding a slot; the slot is given back however the stream ends. */
    <T> Flux<T> within(Function<Object, Flux<T>> stream) {
        Mono<PooledRef<Object>> slot = slots.acquire(acquireTimeout)
                .onErrorMap(e -> e instanceof PoolAcquireTimeoutException || e instanceof TimeoutException,
                        e -> new ApiException(new ApiError.Unavailable(
                                "Too many lists are being streamed; retry later")));
        return Flux.usingWhen(slot, ref -> stream.apply(ref.poolable()), PooledRef::release);
    }

    /** Slots in use now. */
    int inUse() {
        return slots.metrics().acquiredSize();
    }

    int size() {
        return size;
    }
}
