package events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.RepeatedTest;

import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * The export command's bridge from the driver's stream to its writing thread: documents arriving on an
 * event loop never make that loop wait for the consumer. Under BlockHound (installed for every test) a
 * loop that waits on the iterator's lock is an error; before the bridge, the command hung on it.
 */
final class ExportIterableTests {

    private static final int DOCUMENTS = 20_000;

    @RepeatedTest(3)
    void documentsFromAnEventLoopReachABlockingConsumerInOrderAndTheEndArrives() {
        // Schedulers.parallel() threads are non-blocking, like the driver's event loop. A little work per
        // document keeps the consumer waiting, so it is waking up (holding the iterator's lock) just as
        // the next document arrives.
        Flux<Integer> fromALoop = Flux.range(0, DOCUMENTS).publishOn(Schedulers.parallel(), 1).map(document -> {
            long until = System.nanoTime() + 10_000;
            while (System.nanoTime() < until) {
                // busy, not waiting: BlockHound counts onSpinWait and sleep as blocking
            }
            return document;
        });
        List<Integer> seen = new ArrayList<>(DOCUMENTS);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (Integer document : BulkCommands.blockingIterable(fromALoop, 500)) {
                seen.add(document);
            }
        });
        assertThat(seen).hasSize(DOCUMENTS);
        assertThat(seen.get(0)).isZero();
        assertThat(seen.get(DOCUMENTS - 1)).isEqualTo(DOCUMENTS - 1);
        assertThat(seen).isSorted();
    }
}
