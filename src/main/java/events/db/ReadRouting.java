package events.db;

import java.util.List;

import reactor.core.publisher.Mono;

/**
 * Where reads may go when the database has read replicas (issue 14), and the writes that pin a
 * session's reads to the primary until the replicas have caught up with them (read-your-writes).
 * {@link #NONE} when there are no replicas: every read goes to the primary, and the hooks do nothing.
 */
public interface ReadRouting {

    ReadRouting NONE = new ReadRouting() {
    };

    /** Whether any replica is configured (otherwise the web filter is skipped altogether). */
    default boolean enabled() {
        return false;
    }

    /**
     * A write of the session {@code key} begins: its reads go to the primary from now on, until the
     * write has finished and a replica has replayed past it.
     */
    default void writeStarted(String key) {
    }

    /** The write has ended (committed, failed or cancelled): fixes the WAL position its reads wait for. */
    default Mono<Void> writeFinished(String key) {
        return Mono.empty();
    }

    /** Each replica's state as the background probe last saw it, for {@code /api/db/report}. */
    default List<ReplicaState> replicas() {
        return List.of();
    }

    /**
     * One replica: {@code state} is {@code up} (serving reads), {@code lagging} (more than
     * {@code max_replica_lag_ms} behind: skipped) or {@code down} (unreachable, or not a standby:
     * skipped); {@code lagMs} -1 when unknown.
     */
    record ReplicaState(String uri, String state, long lagMs, String replayLsn, long reads, String error) {
    }

    /**
     * A Reactor context key: reads under it go to the primary whatever the replicas' state. Login reads
     * its principal there: a lagging replica could still hold a password that was changed, or not yet
     * hold a principal just created.
     */
    String PRIMARY_ONLY = "events.read.primaryOnly";

    /** The key of the session a request reads for, carried in the Reactor context. */
    record Session(String key) {
    }
}
