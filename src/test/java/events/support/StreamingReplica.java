package events.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real primary and a streaming replica of it, built from the PostgreSQL binaries on the machine
 * ({@code initdb} with {@code wal_level=replica}, {@code pg_basebackup -R}), both on free loopback
 * ports, both run as {@code nobody} when the tests run as root (PostgreSQL refuses root). Trust
 * authentication for the {@code postgres} role, on 127.0.0.1 only. {@link #close} stops both and
 * deletes the directory; a JVM shutdown hook does the same if a test never gets there.
 */
public final class StreamingReplica implements AutoCloseable {

    /** Where Debian installs PostgreSQL 15; {@code EVENTS_PG_BIN} overrides. */
    public static final Path BIN = Path.of(System.getenv().getOrDefault("EVENTS_PG_BIN", "/usr/lib/postgresql/15/bin"));

    private final Path root;
    private final int primaryPort;
    private final int replicaPort;
    private final Thread cleanup = new Thread(this::stopQuietly);
    private boolean closed;

    /** Whether the binaries this needs are installed (the tests skip with a message otherwise). */
    public static boolean available() {
        return Stream.of("initdb", "pg_ctl", "pg_basebackup", "postgres").allMatch(b -> Files.isExecutable(BIN.resolve(b)));
    }

    public StreamingReplica() {
        try {
            root = Files.createTempDirectory("scale-replica-");
            primaryPort = freePort();
            replicaPort = freePort();
            Runtime.getRuntime().addShutdownHook(cleanup);
            if (runningAsRoot()) {
                run(List.of("chown", "nobody", root.toString()));
            }
            run(pg("initdb", "-D", primary().toString(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"));
            Files.writeString(primary().resolve("postgresql.conf"), settings(primaryPort)
                    + "wal_level = replica\nmax_wal_senders = 4\nwal_keep_size = '64MB'\n",
                    java.nio.file.StandardOpenOption.APPEND);
            start(primary());
            run(pg("pg_basebackup", "-h", "127.0.0.1", "-p", String.valueOf(primaryPort), "-U", "postgres",
                    "-D", replica().toString(), "-R", "-X", "stream", "--no-sync"));
            Files.writeString(replica().resolve("postgresql.conf"), settings(replicaPort)
                    + "hot_standby = on\nmax_standby_streaming_delay = -1\nlog_statement = 'all'\n", java.nio.file.StandardOpenOption.APPEND);
            start(replica());
        } catch (IOException e) {
            stopQuietly();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            stopQuietly();
            throw e;
        }
    }

    /** {@code postgresql://postgres@127.0.0.1:port} of the primary, without a database. */
    public String primaryUri() {
        return "postgresql://postgres@127.0.0.1:" + primaryPort;
    }

    public String replicaUri() {
        return "postgresql://postgres@127.0.0.1:" + replicaPort;
    }

    /** Stops the replica (fast shutdown), as a crash or maintenance would take it away. */
    public void stopReplica() {
        run(pg("pg_ctl", "-D", replica().toString(), "-m", "fast", "-w", "stop"));
    }

    /** The replica's server log: with {@code log_statement = 'all'}, every statement it ran. */
    public String replicaLog() {
        try {
            return Files.readString(root.resolve("replica.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void startReplica() {
        start(replica());
    }

    private Path primary() {
        return root.resolve("primary");
    }

    private Path replica() {
        return root.resolve("replica");
    }

    private String settings(int port) {
        return "\nport = " + port + "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '" + root + "'\n"
                + "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = '32MB'\n"
                + "max_connections = 60\n";
    }

    private void start(Path data) {
        run(pg("pg_ctl", "-D", data.toString(), "-l", data.resolveSibling(data.getFileName() + ".log").toString(),
                "-w", "-t", "60", "start"));
    }

    private List<String> pg(String binary, String... arguments) {
        List<String> command = new ArrayList<>();
        if (runningAsRoot()) {
            command.addAll(List.of("runuser", "-u", "nobody", "--"));
        }
        command.add(BIN.resolve(binary).toString());
        command.addAll(List.of(arguments));
        return command;
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private void run(List<String> command) {
        try {
            Path output = Files.createTempFile(root, "command", ".log");
            Process process = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(command + " failed (" + process.exitValue() + "): "
                        + Files.readString(output));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private synchronized void stopQuietly() {
        if (closed || root == null) {
            return;
        }
        closed = true;
        for (Path data : List.of(replica(), primary())) {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                try {
                    run(pg("pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop"));
                } catch (RuntimeException e) {
                    // already stopped
                }
            }
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory: the OS cleans it eventually
        }
    }

    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }
}
