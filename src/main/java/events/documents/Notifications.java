package events.documents;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Warnings collected while serving one request (api.md 3.4), keyed by document id, {@code new} or
 * {@code general}; errors travel as {@link events.error.ApiException}s instead.
 */
public final class Notifications {

    /** A warning entry: {@code type} is one of not_found, missing, validation, ignored, request. */
    public record Warning(String type, String message, String entity, String entityId, String field) {
        public Warning {
            Objects.requireNonNull(type, "type must not be null");
            Objects.requireNonNull(message, "message must not be null");
        }
    }

    private final Map<String, List<Warning>> warnings = new LinkedHashMap<>();
    private final List<Map<String, String>> requestWarnings = new ArrayList<>();

    public void warn(String key, Warning warning) {
        warnings.computeIfAbsent(key, k -> new ArrayList<>()).add(warning);
    }

    public void requestWarning(String parameter, String message) {
        requestWarnings.add(Map.of("type", "request", "message", message, "parameter", parameter));
    }

    public Map<String, List<Warning>> warnings() {
        return warnings;
    }

    public List<Map<String, String>> requestWarnings() {
        return requestWarnings;
    }

    public boolean isEmpty() {
        return warnings.isEmpty() && requestWarnings.isEmpty();
    }
}
