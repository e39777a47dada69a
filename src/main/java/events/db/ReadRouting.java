package events.db;

import java.util.List;

import reactor.core.publisher.Mono;

/**
 * Where reads may go when the database has read replicas (issue 14), and what keeps a client's reads
 * from missing its own writes there (read-your-writes). {@link #NONE} when there are no replicas: every
 * read goes to the primary, and the hooks do nothing.
 * <p>
 * Two things send a read to the primary rather than to a replica that has not replayed a write: the
 * {@link LastWrite} a request carries (the client's cookie: any server process honours it), and the pin
 * of the request's {@link Session} in this process ({@link #writeStarted}, {@link #writeFinished}).
 */
public interface ReadRouting {

    ReadRouting NONE = new ReadRouting() {
    };

    /** Whether any replica is configured (otherwise the web filter is skipped altogether). */
    default boolean enabled() {
        return false;
    }

    /**
     * The primary's WAL insert position now: past the commit record of every transaction that committed
     * before this was called, even one committed with {@code synchronous_commit = off}. Empty without
     * replicas.
     */
    default Mono<WalPosition> primaryPosition() {
        return Mono.empty();
    }

    /**
     * A write of the session {@code key} begins: in this process its reads go to the primary from now
     * on, until the write has finished and a replica has replayed past it.
     */
    default void writeStarted(String key) {
    }

    /**
     * A write of the session {@code key} has ended (committed, failed or cancelled): its reads in this
     * process wait for {@code position}, read on the primary after the end ({@link WalPosition#UNREACHED}
     * when that read failed: the primary only, until {@code read_your_writes_ms} has passed).
     */
    default void writeFinished(String key, WalPosition position) {
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

    /**
     * The primary's WAL position after the client's last write, as the client sent it back (the
     * {@code events_lsn} cookie), carried in the Reactor context: the request's reads go to a replica
     * that has replayed it, else to the primary.
     */
    record LastWrite(WalPosition position) {
    }
}
