package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unit tests for how {@link EmbeddedPostgreSQL} reads {@code postmaster.pid}: only a live PostgreSQL
 * process whose port answers counts as running.
 */
final class EmbeddedPostgreSQLTests {

    @TempDir
    Path data;

    @Test
    void noPidFileMeansNothingRuns() {
        assertThat(EmbeddedPostgreSQL.running(data)).isEmpty();
    }

    @Test
    void anUnreadablePidFileMeansNothingRuns() throws IOException {
        Files.writeString(data.resolve("postmaster.pid"), "not a pid\n");
        assertThat(EmbeddedPostgreSQL.running(data)).isEmpty();
    }

    @Test
    void aStalePidFileOfADeadProcessMeansNothingRuns() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        try (ServerSocket port = new ServerSocket(0)) {
            pidFile(gone.pid(), port.getLocalPort());
            assertThat(EmbeddedPostgreSQL.running(data)).isEmpty();
        }
    }

    @Test
    void aPidReusedByAnotherProgramMeansNothingRuns() throws IOException {
        try (ServerSocket port = new ServerSocket(0)) {
            pidFile(ProcessHandle.current().pid(), port.getLocalPort()); // alive and answering, but java
            assertThat(EmbeddedPostgreSQL.running(data)).isEmpty();
        }
    }

    /** The layout PostgreSQL writes: pid, data directory, start time, port, socket directory, ... */
    private void pidFile(long pid, int port) throws IOException {
        Files.writeString(data.resolve("postmaster.pid"), pid + "\n" + data + "\n1700000000\n" + port
                + "\n/tmp\nlocalhost\n  5432001    360448\nready   \n");
    }
}
