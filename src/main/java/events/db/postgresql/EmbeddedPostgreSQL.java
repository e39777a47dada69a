package events.db.postgresql;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.config.StartupException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The private PostgreSQL server behind {@code db_uri: embedded}: real PostgreSQL binaries (zonky), data
 * kept in a directory across restarts.
 */
public final class EmbeddedPostgreSQL implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgreSQL.class);

    private final EmbeddedPostgres postgres;
    private final Path dataDirectory;

    private EmbeddedPostgreSQL(EmbeddedPostgres postgres, Path dataDirectory) {
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
    }

    /** Starts (initialising on first use) the server whose data lives in {@code dataDirectory}. */
    public static EmbeddedPostgreSQL start(Path dataDirectory, int port) {
        try {
            Files.createDirectories(dataDirectory);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setServerConfig("max_connections", "300")
                    .setLocaleConfig("encoding", "UTF8");
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedPostgres postgres = builder.start();
            log.info("Embedded PostgreSQL started on port {} with data in {}", postgres.getPort(),
                    dataDirectory.toAbsolutePath());
            return new EmbeddedPostgreSQL(postgres, dataDirectory);
        } catch (IOException | RuntimeException e) {
            throw new StartupException("Cannot start the embedded PostgreSQL in " + dataDirectory.toAbsolutePath()
                    + ": " + firstLine(e));
        }
    }

    public int port() {
        return postgres.getPort();
    }

    /** The URI of the server's superuser, without a database. */
    public String uri() {
        return "postgresql://postgres@localhost:" + port();
    }


    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("Stopping the embedded PostgreSQL failed: {}", e.toString());
        }
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }
}
