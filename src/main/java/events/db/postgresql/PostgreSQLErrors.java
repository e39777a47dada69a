package events.db.postgresql;

import java.util.List;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.error.ApiError;
import events.error.ApiException;
import events.schema.Entity;
import events.schema.Field;
import io.r2dbc.postgresql.api.PostgresqlException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Driver failures → {@link ApiError}s, by SQLSTATE and exception type, never by message text. The only
 * place that knows R2DBC's exceptions.
 */
final class PostgreSQLErrors {

    private static final Logger log = LoggerFactory.getLogger(PostgreSQLErrors.class);

    private final PostgreSQLIndexes indexes;

    PostgreSQLErrors(PostgreSQLIndexes indexes) {
        this.indexes = indexes;
    }

    /** Translates for a write of {@code data} to document {@code id} of {@code entity}. */
    Throwable translate(Throwable error, Entity entity, String id, @Nullable ObjectNode data) {
        if (error instanceof ApiException) {
            return error;
        }
        String state = PostgreSQLCore.sqlState(error);
        if ("23505".equals(state)) {
            String constraint = constraintName(error);
            Entity.UniqueKey key = constraint == null ? null : indexes.uniqueKey(constraint).orElse(null);
            if (key != null) {
                return new ApiException(duplicate(key, id, data));
            }
            if (constraint != null && constraint.endsWith("_pkey")) {
                return new ApiException(new ApiError.DuplicateKey(id, "id", "id '" + id + "' already exists", id));
            }
        }
        if ("54000".equals(state)) {
            // program_limit_exceeded: an index entry too big. Keys are hashed or prefixed, so this is rare.
            return new ApiException(new ApiError.ValidationFailed(id, List.of(
                    new ApiError.Entry("A value is too large to be indexed", null, null))));
        }
        return translate(error);
    }

    /** Translates a failure that belongs to no particular document. */
    Throwable translate(Throwable error) {
        if (error instanceof ApiException) {
            return error;
        }
        String state = PostgreSQLCore.sqlState(error);
        if ("40P01".equals(state) || "40001".equals(state)) {
            // A deadlock or serialization failure: two writers crossed (say, two imports inserting the same
            // keys in opposite orders); PostgreSQL rolled this one back, and a retry succeeds.
            log.info("Transaction rolled back by PostgreSQL ({}); the client may retry", state);
            return new ApiException(new ApiError.Unavailable("A concurrent write got in the way; retry"));
        }
        if (unavailable(error, state)) {
            String message = "57014".equals(state) ? "The database did not answer in time; retry later"
                    : timedOutAcquiring(error) ? "No database connection became free in time; retry later"
                    : "The database is unavailable; retry later";
            log.warn("Database unavailable: {}", PostgreSQLCore.describe(error));
            return new ApiException(new ApiError.Unavailable(message));
        }
        if (state.startsWith("22")) {
            // Data exceptions (e.g. a NUL character jsonb cannot hold): the client's value, not our fault.
            return new ApiException(new ApiError.BadRequest("A value in the request cannot be stored", null));
        }
        return error;
    }

    /** Server-side: by SQLSTATE. Client-side (no SQLSTATE): pool time-outs and transport failures. */
    private static boolean unavailable(Throwable error, String state) {
        if (!state.isEmpty()) {
            return state.startsWith("08") || state.equals("57014") || state.startsWith("57P") || state.equals("53300");
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof R2dbcTimeoutException || t instanceof R2dbcNonTransientResourceException
                    || t instanceof R2dbcTransientResourceException || t instanceof IOException
                    || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static boolean timedOutAcquiring(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof R2dbcTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static @Nullable String constraintName(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof PostgresqlException pg) {
                return pg.getErrorDetails().getConstraintName().orElse(null);
            }
        }
        return null;
    }

    static ApiError duplicate(Entity.UniqueKey key, String id, @Nullable ObjectNode data) {
        String fields = key.fields().stream().map(Field::name).collect(Collectors.joining(", "));
        String values = key.fields().stream().map(f -> value(f, data)).collect(Collectors.joining(", "));
        String message = key.fields().size() == 1
                ? fields + " '" + values + "' already exists"
                : "(" + fields + ") (" + values + ") already exists";
        if (message.length() > 100) {
            message = "A document with the same " + fields + " already exists";
            if (message.length() > 100) {
                message = message.substring(0, 97) + "...";
            }
        }
        JsonNode first = data == null ? null : data.get(key.first().name());
        return new ApiError.DuplicateKey(id, key.first().name(), message, first);
    }

    private static String value(Field field, @Nullable ObjectNode data) {
        JsonNode node = data == null ? null : data.get(field.name());
        if (node == null) {
            return "";
        }
        String text = node.isString() ? node.asString() : node.toString();
        return text.length() > 30 ? text.substring(0, 27) + "..." : text;
    }
}
