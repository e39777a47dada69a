package events.db.postgresql;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.config.StartupException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The private PostgreSQL server behind {@code db_uri: embedded}: real PostgreSQL binaries (zonky), data
 * kept in a directory across restarts.
 *
 * <p>The server process owns the PostgreSQL it {@linkplain #start starts}. Commands of the jar
 * ({@code create}, later {@code import} and {@code export}) use {@link #attachOrStart}: they connect to
 * the PostgreSQL a running server already started on the same data directory (found through its
 * {@code postmaster.pid}), and start one of their own only when none runs. Never two postmasters on
 * the same files: PostgreSQL would refuse the second anyway, but only after a confusing wait.
 */
public final class EmbeddedPostgreSQL implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgreSQL.class);
    private static final String PID_FILE = "postmaster.pid";
    private static final String LOG_DIRECTORY = "log";
    /** How long a postmaster that is alive but not answering (starting or stopping) is waited for. */
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int CONNECT_TIMEOUT_MS = 1000;

    private final @Nullable EmbeddedPostgres postgres;
    private final Path dataDirectory;
    private final int port;

    private EmbeddedPostgreSQL(@Nullable EmbeddedPostgres postgres, Path dataDirectory, int port) {
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
        this.port = port;
    }

    /** A postmaster found running on a data directory: its process id and port. */
    public record Running(long pid, int port) {
    }

    /**
     * Starts (initialising on first use) the server whose data lives in {@code dataDirectory}, as its
     * owner: {@link #close} stops it. Refuses when a PostgreSQL already runs on that directory.
     */
    public static EmbeddedPostgreSQL start(Path dataDirectory, int port) {
        Optional<Running> running = running(dataDirectory);
        if (running.isPresent()) {
            throw new StartupException("An embedded PostgreSQL already runs on " + dataDirectory.toAbsolutePath()
                    + " (pid " + running.get().pid() + ", port " + running.get().port() + "): another events-server, "
                    + "a command of the jar, or one left behind by a killed process (stop it with: kill "
                    + running.get().pid() + ")");
        }
        return launch(dataDirectory, port);
    }

    /**
     * The PostgreSQL of {@code dataDirectory}: the one already running there (a server's), or else one
     * started for the caller. {@link #close} stops only what this call started. Blocking: for commands
     * of the jar and start-up, never an event loop.
     */
    public static EmbeddedPostgreSQL attachOrStart(Path dataDirectory) {
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        while (true) {
            State state = state(dataDirectory);
            if (state.answering() != null) {
                return attach(dataDirectory, state.answering());
            }
            if (!state.alive()) {
                try {
                    return launch(dataDirectory, 0);
                } catch (StartupException e) {
                    // Started by someone else between our look and our start: use theirs.
                    Optional<Running> raced = running(dataDirectory);
                    if (raced.isPresent()) {
                        return attach(dataDirectory, raced.get());
                    }
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new StartupException("An embedded PostgreSQL runs on " + dataDirectory.toAbsolutePath()
                        + " (pid " + state.pid() + ") but does not answer; try again when it has started or stopped");
            }
            sleep(POLL);
        }
    }

    /**
     * The postmaster running on {@code dataDirectory}, from its {@code postmaster.pid} (line 1 the
     * process id, line 4 the port): present only when that process is alive and the port answers.
     */
    public static Optional<Running> running(Path dataDirectory) {
        return Optional.ofNullable(state(dataDirectory).answering());
    }

    public int port() {
        return port;
    }

    /** Where the PostgreSQL on {@code dataDirectory} writes its log files. */
    public static Path logDirectory(Path dataDirectory) {
        return dataDirectory.resolve(LOG_DIRECTORY);
    }

    /** Whether this handle started the server (and {@link #close} stops it), rather than attached to one. */
    public boolean owned() {
        return postgres != null;
    }

    /** The URI of the server's superuser, without a database. */
    public String uri() {
        return "postgresql://postgres@localhost:" + port;
    }

    /** Stops the server if this handle started it; an attached server is left running. */
    @Override
    public void close() {
        if (postgres == null) {
            return;
        }
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("Stopping the embedded PostgreSQL failed: {}", e.toString());
        }
    }

    private static EmbeddedPostgreSQL launch(Path dataDirectory, int port) {
        Path aside = null;
        try {
            Files.createDirectories(dataDirectory);
            aside = setAsideBeforeInitdb(dataDirectory);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setServerConfig("max_connections", "300")
                    // PostgreSQL's own log, in <data>/log/: start, checkpoints, and how each stop went.
                    .setServerConfig("logging_collector", "on")
                    .setServerConfig("log_directory", LOG_DIRECTORY)
                    .setLocaleConfig("encoding", "UTF8");
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedPostgres postgres = builder.start();
            log.info("Embedded PostgreSQL started on port {} with data in {}", postgres.getPort(),
                    dataDirectory.toAbsolutePath());
            return new EmbeddedPostgreSQL(postgres, dataDirectory, postgres.getPort());
        } catch (IOException | RuntimeException e) {
            throw new StartupException("Cannot start the embedded PostgreSQL in " + dataDirectory.toAbsolutePath()
                    + ": " + firstLine(e));
        } finally {
            putBack(aside, dataDirectory);
        }
    }

    /**
     * initdb needs an empty directory. Files already there before any cluster (the first run's password
     * file, written while the database was an external one) are moved to a sibling directory for the
     * moment; null when there is nothing to move.
     */
    private static @Nullable Path setAsideBeforeInitdb(Path dataDirectory) throws IOException {
        if (Files.exists(dataDirectory.resolve("postgresql.conf"))) {
            return null;
        }
        List<Path> present;
        try (Stream<Path> entries = Files.list(dataDirectory)) {
            present = entries.toList();
        }
        if (present.isEmpty()) {
            return null;
        }
        Path parent = dataDirectory.toAbsolutePath().getParent();
        Path aside = Files.createTempDirectory(parent, ".events-initdb-");
        for (Path entry : present) {
            Files.move(entry, aside.resolve(entry.getFileName()));
        }
        return aside;
    }

    private static void putBack(@Nullable Path aside, Path dataDirectory) {
        if (aside == null) {
            return;
        }
        try (Stream<Path> entries = Files.list(aside)) {
            for (Path entry : entries.toList()) {
                Path target = dataDirectory.resolve(entry.getFileName());
                if (Files.exists(target)) {
                    Files.delete(entry); // PostgreSQL's (or zonky's lock file) now: theirs wins
                } else {
                    Files.move(entry, target);
                }
            }
            Files.delete(aside);
        } catch (IOException e) {
            log.warn("Could not move the files of {} back from {}: {}", dataDirectory.toAbsolutePath(), aside, e.toString());
        }
    }

    private static EmbeddedPostgreSQL attach(Path dataDirectory, Running running) {
        log.info("Using the embedded PostgreSQL already running on port {} (pid {}) with data in {}", running.port(),
                running.pid(), dataDirectory.toAbsolutePath());
        return new EmbeddedPostgreSQL(null, dataDirectory, running.port());
    }

    /** What {@code postmaster.pid} says: no live postmaster, one alive but not answering, or one answering. */
    private record State(boolean alive, long pid, @Nullable Running answering) {
        static final State NONE = new State(false, 0, null);
    }

    private static State state(Path dataDirectory) {
        List<String> lines;
        try {
            lines = Files.readAllLines(dataDirectory.resolve(PID_FILE), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return State.NONE; // no file: nothing runs (PostgreSQL removes it when it stops)
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).trim());
        } catch (RuntimeException e) {
            return State.NONE;
        }
        if (!postmasterAlive(pid)) {
            return State.NONE; // a stale file from a crash: PostgreSQL itself starts over it
        }
        // The port line is written once the postmaster has parsed its configuration; until then, wait.
        int port;
        try {
            port = Integer.parseInt(lines.get(3).trim());
        } catch (RuntimeException e) {
            return new State(true, pid, null);
        }
        return new State(true, pid, answers(port) ? new Running(pid, port) : null);
    }

    /** Alive, and (where the OS tells) a PostgreSQL binary: after a crash the pid may belong to anything. */
    private static boolean postmasterAlive(long pid) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .map(process -> process.info().command().map(command -> command.contains("postgres")).orElse(true))
                .orElse(false);
    }

    private static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("Interrupted while waiting for the embedded PostgreSQL");
        }
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }
}
