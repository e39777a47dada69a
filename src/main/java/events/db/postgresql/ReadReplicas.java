package events.db.postgresql;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.config.DatabaseUri;
import events.config.EventsConfig;
import events.db.AcquireBudget;
import events.db.ReadRouting;
import events.db.WalPosition;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.postgresql.api.PostgresqlException;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * Read replicas ({@code db_read_uris}): lists, streams and counts go to a replica that is up and at
 * most {@code max_replica_lag_ms} behind, round robin; everything else, and every read of a session
 * whose last write a replica has not yet replayed, goes to the primary.
 * <p>
 * A background probe (every {@code replica_probe_ms}, never per request) reads the primary's WAL
 * position ({@code pg_current_wal_lsn()}) and each replica's replayed position
 * ({@code pg_last_wal_replay_lsn()}). A replica's lag is the age of the oldest primary position it has
 * not replayed yet, to the probe's resolution. A replica that fails a probe, or a read, is down until a
 * probe succeeds again; a read that fails on a replica before it returned anything is run again on the
 * primary.
 * <p>
 * Read-your-writes, in two ways. Across processes: a read carrying the client's last write position
 * ({@link ReadRouting.LastWrite}, from its cookie) goes to a replica only if the probe has seen that
 * replica replay past it. Within this process, for clients that return the session cookie but not that
 * one: a session's write pins its reads to the primary from the moment it starts; when it ends, the
 * primary's WAL position read after it is remembered for the session, and a replica serves the session
 * again once it has replayed past that position; the pin is forgotten after {@code read_your_writes_ms}.
 * <p>
 * The position after a write is the primary's insert position ({@code pg_current_wal_insert_lsn()}),
 * not {@code pg_current_wal_lsn()}: the latter is how far the WAL has been written out, which with
 * {@code synchronous_commit = off} can still be short of a commit that has returned, for up to
 * {@code wal_writer_delay}; a replica paused just before the commit then looked as if it had the write.
 */
public final class ReadReplicas implements ReadRouting, MeterBinder, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReadReplicas.class);
    /** The probe's view of the primary: how far its WAL is written out, which is all a replica can receive. */
    private static final Sql PRIMARY_LSN = new Sql().append("SELECT pg_current_wal_lsn()::text");
    /**
     * The position after a write: past its commit record, however the commit was made (see the class).
     * When the last record ended exactly at a WAL page's end, this is the next page's start plus its
     * header, a little past anything a replica reports replayed until more WAL follows: the write's
     * reads then stay on the primary a little longer, never on a replica too early.
     */
    private static final Sql PRIMARY_INSERT_LSN = new Sql().append("SELECT pg_current_wal_insert_lsn()::text");
    private static final Sql REPLICA_LSN = new Sql().append("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text");

    private final Statements primary;
    private final List<Replica> replicas;
    private final long maxLagMs;
    private final long pinNanos;
    private final Duration probeInterval;
    private final Map<String, Pin> pins = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicLong primaryReads = new AtomicLong();
    /** Primary WAL positions seen by the probes, oldest first: (position, when seen). */
    private final Deque<long[]> samples = new ArrayDeque<>();
    private final Disposable probe;

    /**
     * A session's pin: {@code writing} writes of it in flight (its reads go to the primary while any is),
     * and the highest position any finished one left; {@code sinceNanos} the last start or end.
     */
    private record Pin(int writing, long lsn, long sinceNanos) {

        long needed() {
            return writing > 0 ? WalPosition.UNREACHED.lsn() : lsn;
        }
    }

    /** One replica's pool and what the last probe saw of it. */
    static final class Replica {
        final String name;
        final ConnectionPool pool;
        final Statements statements;
        volatile String state = "down";
        volatile long lagMs = -1;
        volatile long replayLsn = -1;
        volatile @Nullable String error = "not probed yet";
        final AtomicLong reads = new AtomicLong();

        Replica(String name, ConnectionPool pool, Statements statements) {
            this.name = name;
            this.pool = pool;
            this.statements = statements;
        }
    }

    ReadReplicas(Statements primary, DatabaseUri primaryUri, EventsConfig config, DatabaseMetrics metrics) {
        this.primary = primary;
        this.maxLagMs = config.maxReplicaLagMs();
        this.pinNanos = Duration.ofMillis(config.readYourWritesMs()).toNanos();
        this.probeInterval = Duration.ofMillis(config.replicaProbeMs());
        List<Replica> list = new ArrayList<>();
        for (String text : config.dbReadUris()) {
            DatabaseUri parsed = DatabaseUri.parse(text);
            DatabaseUri uri = parsed.database() == null ? parsed.withDatabase(primaryUri.database()) : parsed;
            ConnectionPool pool = PostgreSQLCore.replicaPool(uri, config, "events-replica-" + list.size());
            Duration acquire = Duration.ofMillis(config.pool().acquireTimeoutMs());
            list.add(new Replica(uri.toString(), pool, new Statements(pool, acquire, config.pool().max(), metrics)));
        }
        this.replicas = List.copyOf(list);
        if (replicas.isEmpty()) {
            this.probe = Flux.never().subscribe();
        } else {
            log.info("Read replicas: {} (max lag {} ms, probe every {} ms)",
                    replicas.stream().map(r -> r.name).toList(), maxLagMs, probeInterval.toMillis());
            this.probe = Flux.interval(Duration.ZERO, probeInterval)
                    .onBackpressureDrop()
                    .concatMap(tick -> probeOnce(), 1)
                    .subscribe();
        }
    }

    @Override
    public boolean enabled() {
        return !replicas.isEmpty();
    }

    /**
     * The statements of one read: a usable replica that has replayed the request's last write (its
     * {@link ReadRouting.LastWrite} and its session's pin), else the primary. A replica failure before
     * any result reruns {@code work} on the primary.
     */
    <T> Flux<T> read(Function<Statements, Flux<T>> work) {
        if (replicas.isEmpty()) {
            return work.apply(primary);
        }
        return Flux.deferContextual(context -> {
            Replica replica = choose(context);
            if (replica == null) {
                primaryReads.incrementAndGet();
                return work.apply(primary);
            }
            replica.reads.incrementAndGet();
            AtomicBoolean emitted = new AtomicBoolean();
            return work.apply(replica.statements)
                    .doOnNext(item -> emitted.set(true))
                    .onErrorResume(e -> !emitted.get() && unavailable(e), e -> {
                        markDown(replica, e);
                        primaryReads.incrementAndGet();
                        return work.apply(primary);
                    });
        });
    }

    private @Nullable Replica choose(ContextView context) {
        if (context.hasKey(ReadRouting.PRIMARY_ONLY)) {
            return null;
        }
        ReadRouting.LastWrite lastWrite = context.getOrDefault(ReadRouting.LastWrite.class, null);
        long needed = lastWrite == null ? 0 : lastWrite.position().lsn();
        ReadRouting.Session session = context.getOrDefault(ReadRouting.Session.class, null);
        if (session != null) {
            Pin pin = pins.get(session.key());
            if (pin != null) {
                if (System.nanoTime() - pin.sinceNanos() > pinNanos) {
                    pins.remove(session.key(), pin);
                } else {
                    needed = Math.max(needed, pin.needed());
                }
            }
        }
        int count = replicas.size();
        int start = Math.floorMod(next.getAndIncrement(), count);
        for (int i = 0; i < count; i++) {
            Replica replica = replicas.get((start + i) % count);
            if ("up".equals(replica.state) && replica.replayLsn >= needed) {
                return replica;
            }
        }
        return null;
    }

    /** Failures that say the replica cannot serve now (connection, shutdown, recovery conflict). */
    private static boolean unavailable(Throwable e) {
        String state = PostgreSQLCore.sqlState(e);
        if (state.isEmpty()) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof PostgresqlException) {
                    return false;
                }
            }
            return true; // not an answer from PostgreSQL: the connection or the pool failed
        }
        return state.startsWith("08") || state.startsWith("57") || state.startsWith("53") || state.equals("40001");
    }

    private void markDown(Replica replica, Throwable e) {
        if (!"down".equals(replica.state)) {
            log.warn("Read replica {} failed a read ({}); reads go elsewhere until a probe succeeds",
                    replica.name, PostgreSQLCore.describe(e));
        }
        replica.state = "down";
        replica.error = PostgreSQLCore.describe(e);
    }

    @Override
    public Mono<WalPosition> primaryPosition() {
        if (replicas.isEmpty()) {
            return Mono.empty();
        }
        // Its own wait for a connection (the pool's acquire_timeout_ms), not what the request left of its
        // budget: a write that waited long for its connection would otherwise get no position, and its
        // client's reads the primary only, for read_your_writes_ms.
        return primary.withConnection(c -> Statements.query(c, PRIMARY_INSERT_LSN, row -> row.get(0, String.class)))
                .singleOrEmpty()
                .map(lsn -> new WalPosition(parseLsn(lsn)))
                .contextWrite(context -> context.delete(AcquireBudget.class));
    }

    /**
     * Counts the write in: the session's reads go to the primary until every write of it that started
     * has finished (a second write must not be unpinned by the end of the first).
     */
    @Override
    public void writeStarted(String key) {
        if (!replicas.isEmpty()) {
            long now = System.nanoTime();
            pins.compute(key, (k, pin) -> pin == null || now - pin.sinceNanos() > pinNanos
                    ? new Pin(1, 0, now) : new Pin(pin.writing() + 1, pin.lsn(), now));
        }
    }

    @Override
    public void writeFinished(String key, WalPosition position) {
        if (!replicas.isEmpty()) {
            long now = System.nanoTime();
            pins.compute(key, (k, pin) -> pin == null || now - pin.sinceNanos() > pinNanos
                    ? new Pin(0, position.lsn(), now)
                    : new Pin(Math.max(0, pin.writing() - 1), Math.max(pin.lsn(), position.lsn()), now));
        }
    }

    private Mono<Void> probeOnce() {
        Duration limit = probeInterval.multipliedBy(2).plusSeconds(1);
        Mono<Long> primaryLsn = primary.withConnection(c -> Statements.query(c, PRIMARY_LSN, row -> row.get(0, String.class)))
                .singleOrEmpty()
                .map(ReadReplicas::parseLsn)
                .timeout(limit)
                .onErrorResume(e -> Mono.empty());
        return primaryLsn.doOnNext(this::sample)
                .thenMany(Flux.fromIterable(replicas).flatMap(replica -> probe(replica, limit)))
                .then(Mono.fromRunnable(this::forgetReplayedPins))
                .onErrorResume(e -> Mono.empty())
                .then();
    }

    private synchronized void sample(long lsn) {
        long now = System.nanoTime();
        if (samples.isEmpty() || samples.peekLast()[0] != lsn) {
            samples.addLast(new long[] {lsn, now});
        }
        // Enough history to tell any lag up to twice the limit (or a minute), no more.
        long keepNanos = Duration.ofMillis(Math.max(2 * maxLagMs, 60_000)).toNanos();
        while (samples.size() > 1 && now - samples.peekFirst()[1] > keepNanos) {
            samples.removeFirst();
        }
    }

    /** How long ago the primary was first seen past {@code replayed}: 0 when the replica has caught up. */
    private synchronized long lagMs(long replayed) {
        long now = System.nanoTime();
        for (long[] sample : samples) {
            if (sample[0] > replayed) {
                return Duration.ofNanos(now - sample[1]).toMillis();
            }
        }
        return 0;
    }

    private Mono<Void> probe(Replica replica, Duration limit) {
        return replica.statements.withConnection(c -> Statements.query(c, REPLICA_LSN,
                        row -> new Object[] {row.get(0, Boolean.class), row.get(1, String.class)}))
                .singleOrEmpty()
                .timeout(limit)
                .doOnNext(row -> {
                    if (!Boolean.TRUE.equals(row[0]) || row[1] == null) {
                        set(replica, "down", -1, -1, "not a standby (pg_is_in_recovery() is false)");
                        return;
                    }
                    long replayed = parseLsn((String) row[1]);
                    long lag = lagMs(replayed);
                    set(replica, lag > maxLagMs ? "lagging" : "up", lag, replayed,
                            lag > maxLagMs ? "lag " + lag + " ms is over max_replica_lag_ms " + maxLagMs : null);
                })
                .onErrorResume(e -> {
                    set(replica, "down", -1, replica.replayLsn, PostgreSQLCore.describe(e));
                    return Mono.empty();
                })
                .then();
    }

    private void set(Replica replica, String state, long lagMs, long replayLsn, @Nullable String error) {
        if (!state.equals(replica.state)) {
            log.info("Read replica {} is {}{}", replica.name, state, error == null ? "" : ": " + error);
        }
        replica.replayLsn = replayLsn;
        replica.lagMs = lagMs;
        replica.error = error;
        replica.state = state;
    }

    /** Sessions whose last write every replica has replayed need no pin; nor do expired ones. */
    private void forgetReplayedPins() {
        long replayedByAll = replicas.stream().mapToLong(r -> r.replayLsn).min().orElse(-1);
        long now = System.nanoTime();
        pins.entrySet().removeIf(entry -> entry.getValue().needed() <= replayedByAll
                || now - entry.getValue().sinceNanos() > pinNanos);
    }

    /** {@code 16/B374D848}, as PostgreSQL writes it, as one number, so that positions compare. */
    static long parseLsn(String lsn) {
        return WalPosition.parse(lsn).orElseThrow(() -> new IllegalStateException("not a WAL position: " + lsn)).lsn();
    }

    static @Nullable String formatLsn(long lsn) {
        return lsn < 0 ? null : new WalPosition(lsn).toString();
    }

    @Override
    public List<ReplicaState> replicas() {
        return replicas.stream().map(r -> new ReplicaState(r.name, r.state, r.lagMs, formatLsn(r.replayLsn),
                r.reads.get(), r.error)).toList();
    }

    /** Reads that went to the primary although replicas are configured (none usable, or a write not replayed). */
    long primaryReads() {
        return primaryReads.get();
    }

    /**
     * {@code events.db.replica.lag} (ms, -1 unknown) and {@code events.db.replica.up} (1 serving, 0
     * skipped) per replica, and {@code events.db.replica.reads} by target ({@code primary} or a replica).
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        for (Replica replica : replicas) {
            Gauge.builder("events.db.replica.lag", replica, r -> r.lagMs).baseUnit("milliseconds")
                    .description("How far the replica's replay is behind the primary, as the last probe saw it")
                    .tag("replica", replica.name).register(registry);
            Gauge.builder("events.db.replica.up", replica, r -> "up".equals(r.state) ? 1 : 0)
                    .description("1 when the replica serves reads, 0 when it is down or lags too far")
                    .tag("replica", replica.name).register(registry);
            FunctionCounter.builder("events.db.replica.reads", replica, r -> r.reads.get())
                    .description("Reads sent to a replica or, when none may serve them, to the primary")
                    .tag("target", replica.name).register(registry);
        }
        if (!replicas.isEmpty()) {
            FunctionCounter.builder("events.db.replica.reads", primaryReads, AtomicLong::get)
                    .description("Reads sent to a replica or, when none may serve them, to the primary")
                    .tag("target", "primary").register(registry);
        }
    }

    @Override
    public void close() {
        probe.dispose();
        replicas.forEach(r -> r.pool.dispose());
    }
}
