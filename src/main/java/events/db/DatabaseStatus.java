package events.db;

import java.util.List;
import java.util.Map;

/**
 * What {@code /api/db/report} shows about the database: server version, exact live counts, index names
 * per entity (schema order) and the connection pool's state.
 */
public record DatabaseStatus(String serverVersion, Map<String, Long> counts, Map<String, List<String>> indexes,
                             PoolState pool, boolean trigramAvailable) {

    /** A snapshot of the connection pool. */
    public record PoolState(int size, int idle, int acquired, int pending, int maxSize) {
    }
}
