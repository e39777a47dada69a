package events.support;

import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import events.db.postgresql.EmbeddedPostgreSQL;

/**
 * The PostgreSQL server of the test run, started once per JVM: {@code EVENTS_TEST_DB_URI} when set,
 * else Testcontainers when a Docker engine answers, else the embedded PostgreSQL. The log says which.
 * Each test server gets its own database on it.
 */
public final class TestDatabase {

    private static final Logger log = LoggerFactory.getLogger(TestDatabase.class);
    private static String uri;

    private TestDatabase() {
    }

    /** A {@code postgresql://} URI without a database name. */
    public static synchronized String uri() {
        if (uri == null) {
            uri = start();
        }
        return uri;
    }

    private static String start() {
        String forced = System.getenv("EVENTS_TEST_DB_URI");
        if (forced != null && !forced.isBlank()) {
            log.info("Tests use the PostgreSQL named by EVENTS_TEST_DB_URI");
            return forced;
        }
        if (dockerAvailable()) {
            PostgreSQLContainer container = new PostgreSQLContainer("postgres:16-alpine");
            container.start();
            Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
            log.info("Tests use Testcontainers PostgreSQL {}", container.getDockerImageName());
            return "postgresql://" + container.getUsername() + ":" + container.getPassword() + "@"
                    + container.getHost() + ":" + container.getMappedPort(5432);
        }
        try {
            Path directory = Files.createTempDirectory("events-test-pg");
            EmbeddedPostgreSQL embedded = EmbeddedPostgreSQL.start(directory.resolve("data"), 0);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                embedded.close();
                TestServers.delete(directory);
            }));
            log.info("Tests use the embedded PostgreSQL (no Docker engine reachable)");
            return embedded.uri();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start a PostgreSQL for the tests", e);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) {
            return false;
        }
    }
}
