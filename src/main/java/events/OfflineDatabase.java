package events;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

import events.auth.PasswordHasher;
import events.config.EventsConfig;
import events.db.postgresql.EmbeddedPostgreSQL;
import events.db.postgresql.PostgreSQLCore;
import events.db.postgresql.PostgreSQLDocuments;
import events.api.JsonBodyParser;
import events.documents.DocumentImport;
import events.documents.DocumentService;
import events.documents.ImportMetrics;
import events.documents.NdjsonLines;
import events.documents.ReadChecks;
import events.schema.DocumentValidator;
import events.schema.Schema;
import tools.jackson.databind.json.JsonMapper;

/**
 * The database of a configuration opened by a command of the jar ({@code create}, {@code import} and
 * {@code export}) rather than by a server: with {@code db_uri: embedded}, the PostgreSQL a running server
 * already started on the data directory, or else one started for the command and stopped by
 * {@link #close}; its tables brought up to date; the document service over it.
 * Blocking: for the command line and tests.
 */
public final class OfflineDatabase implements AutoCloseable {

    private static final Duration MIGRATION_TIMEOUT = Duration.ofMinutes(10);
    /** bcrypt cost, as the server's. */
    private static final int BCRYPT_STRENGTH = 10;

    private final Schema schema;
    private final @Nullable EmbeddedPostgreSQL embedded;
    private final PostgreSQLCore core;
    private final PostgreSQLDocuments store;
    private final DocumentService documents;

    private OfflineDatabase(Schema schema, @Nullable EmbeddedPostgreSQL embedded, PostgreSQLCore core,
                            PostgreSQLDocuments store, DocumentService documents) {
        this.schema = schema;
        this.embedded = embedded;
        this.core = core;
        this.store = store;
        this.documents = documents;
    }

    /** Opens the database of {@code config}; {@code dataDirectory} is where the embedded one keeps its files. */
    public static OfflineDatabase open(EventsConfig config, @Nullable Path configDirectory, Path dataDirectory) {
        Schema schema = EventsServer.loadSchema(config, configDirectory);
        EmbeddedPostgreSQL embedded = config.embedded() ? EmbeddedPostgreSQL.attachOrStart(dataDirectory) : null;
        PostgreSQLCore core = null;
        try {
            core = PostgreSQLCore.connect(embedded != null ? embedded.uri() : config.dbUri(), config);
            PostgreSQLDocuments store = new PostgreSQLDocuments(schema, core, config.caseSensitive(),
                    JsonMapper.builder().build());
            store.migrate(MIGRATION_TIMEOUT);
            DocumentService documents = new DocumentService(schema, store, new DocumentValidator(),
                    new PasswordHasher(BCRYPT_STRENGTH), ReadChecks.NONE, Clock.systemUTC());
            return new OfflineDatabase(schema, embedded, core, store, documents);
        } catch (RuntimeException e) {
            if (core != null) {
                core.close();
            }
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    public Schema schema() {
        return schema;
    }

    public PostgreSQLDocuments store() {
        return store;
    }

    /** The document service: the API's validation, ids and hashing, without sessions. */
    public DocumentService documents() {
        return documents;
    }

    /** Imports through the API's own pipeline (api.md 12.2), each line parsed as strictly as a body. */
    public DocumentImport imports() {
        JsonBodyParser lines = new JsonBodyParser(JsonMapper.builder().build(), "Line");
        // Nothing scrapes a command: its metrics stay unbound.
        return new DocumentImport(documents, store, lines::parse, NdjsonLines.DEFAULT_LIMIT, new ImportMetrics(schema));
    }

    /** Closes the pool, then stops the embedded PostgreSQL if this command started it (never a server's). */
    @Override
    public void close() {
        core.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
