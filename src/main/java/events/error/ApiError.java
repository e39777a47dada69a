package events.error;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * Every failure a client can cause or meet, as a value. Each case knows its HTTP status, its stable
 * {@code type} (api.md 3.4) and the notification key it belongs to (a document id, {@code new} or
 * {@code general}). Rendered to the envelope in one place ({@code events.api.ErrorResponses}).
 */
public sealed interface ApiError {

    String GENERAL = "general";

    int status();

    String type();

    /** The notifications key: a document id, {@code new}, or {@code general}. */
    String key();

    /** The error entries to render under {@link #key()}. */
    List<Entry> entries();

    /** Every key with its entries: one key, except for {@link Several}. */
    default Map<String, List<Entry>> entriesByKey() {
        return Map.of(key(), entries());
    }

    /** One rendered error entry: {@code field} and {@code value} are omitted when null. */
    record Entry(String message, @Nullable String field, @Nullable Object value) {
        public Entry {
            Objects.requireNonNull(message, "message must not be null");
        }
    }

    /** 400: a malformed query parameter or body. */
    record BadRequest(String message, @Nullable String parameter) implements ApiError {
        public int status() { return 400; }
        public String type() { return "bad_request"; }
        public String key() { return GENERAL; }
        public List<Entry> entries() { return List.of(new Entry(message, parameter, null)); }
    }

    /** 401: no live session where one is required. */
    record Unauthorized(String message) implements ApiError {
        public int status() { return 401; }
        public String type() { return "unauthorized"; }
        public String key() { return GENERAL; }
        public List<Entry> entries() { return List.of(new Entry(message, null, null)); }
    }

    /** 403: the session's role lacks the permission. */
    record Forbidden(String message) implements ApiError {
        public int status() { return 403; }
        public String type() { return "forbidden"; }
        public String key() { return GENERAL; }
        public List<Entry> entries() { return List.of(new Entry(message, null, null)); }
    }

    /** 404: unknown entity, route or document. */
    record NotFound(String key, String message) implements ApiError {
        public int status() { return 404; }
        public String type() { return "not_found"; }
        public List<Entry> entries() { return List.of(new Entry(message, null, null)); }
    }

    /** 405: a method the route does not support, or an operation the schema excludes. */
    record MethodNotAllowed(String message, List<String> allowed) implements ApiError {
        public MethodNotAllowed {
            allowed = List.copyOf(allowed);
        }
        public int status() { return 405; }
        public String type() { return "method_not_allowed"; }
        public String key() { return GENERAL; }
        public List<Entry> entries() { return List.of(new Entry(message, null, null)); }
    }

    /** 409: a unique key would be duplicated; {@code field} is the key's first field. */
    record DuplicateKey(String key, String field, String message, @Nullable Object value) implements ApiError {
        public int status() { return 409; }
        public String type() { return "conflict"; }
        public List<Entry> entries() { return List.of(new Entry(message, field, value)); }
    }

    /** 412: {@code If-Match} names no version the document has (api.md 13). */
    record PreconditionFailed(String key, String message) implements ApiError {
        public int status() { return 412; }
        public String type() { return "precondition_failed"; }
        public List<Entry> entries() { return List.of(new Entry(message, null, null)); }
    }

    /**
     * One failure found in several documents of a request (a bulk create, api.md 12.1), or one
     * operation's failure under its position (a batch, 14): each error under its own key. The status and
     * type are the first error's; the others are of the same kind.
     */
    record Several(List<ApiError> errors) implements ApiError {
        public Several {
            errors = List.copyOf(errors);
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("errors must not be empty");
            }
        }
        public int status() { return errors.get(0).status(); }
        public String type() { return errors.get(0).type(); }
        public String key() { return errors.get(0).key(); }
        public List<Entry> entries() { return errors.get(0).entries(); }
        @Override
        public Map<String, List<Entry>> entriesByKey() {
            Map<String, List<Entry>> byKey = new LinkedHashMap<>();
            for (ApiError error : errors) {
                byKey.computeIfAbsent(error.key(), k -> new java.util.ArrayList<>()).addAll(error.entries());
            }
            return Collections.unmodifiableMap(byKey);
        }
    }

    /** Another error under another key: a batch operation's failure under its position ({@code "[2]"}). */
    record Keyed(String key, ApiError error) implements ApiError {
        public Keyed {
            Objects.requireNonNull(key, "key must not be null");
            Objects.requireNonNull(error, "error must not be null");
        }
        public int status() { return error.status(); }
        public String type() { return error.type(); }
        public List<Entry> entries() {
            List<Entry> entries = new java.util.ArrayList<>();
            error.entriesByKey().values().forEach(entries::addAll);
            return List.copyOf(entries);
        }
    }

    /** 413: the body (or, in an import, one line: {@code subject} {@code "Line"}) is over the limit. */
    record PayloadTooLarge(long limitBytes, String subject) implements ApiError {
        public PayloadTooLarge(long limitBytes) {
            this(limitBytes, "Request body");
        }
        public int status() { return 413; }
        public String type() { return "payload_too_large"; }
        public String key() { return GENERAL; }
        public List<Entry> entries() {
            return List.of(new Entry(subject + " is larger than " + limitBytes + " bytes", null, null));
        }
    }

    /** 415: a body that is not JSON, not UTF-8, or whose {@code Content-Type} does not parse. */
    record UnsupportedMediaType(String contentType, String message) implements ApiError {
        public UnsupportedMediaType(String contentType) {
            this(contentType, "Body must be UTF-8 application/json, not " + contentType);
        }
        public int status() { return 415; }
        public String type() { return "unsupported_media_type"; }
        public String key() { return GENERAL; }
        public List<Entry> entries() {
            return List.of(new Entry(message, null, null));
        }
    }

    /** 422: the body breaks the schema (every failing field) or names a missing document. */
    record ValidationFailed(String key, List<Entry> entries) implements ApiError {
        public ValidationFailed {
            entries = List.copyOf(entries);
            if (entries.isEmpty()) {
                throw new IllegalArgumentException("entries must not be empty");
            }
        }
        public int status() { return 422; }
        public String type() { return "validation_failed"; }
    }

    /**
     * Refused by the HTTP layer before routing (api.md 3.4): 400 malformed, 408 headers not received in
     * time, 414 request line too long, 431 headers too large. Typed {@code bad_request}: the request never
     * became one the API could read.
     */
    record RefusedRequest(int status, String message) implements ApiError {
        public String type() { return "bad_request"; }
        public String key() { return GENERAL; }
        public List<Entry> entries() { return List.of(new Entry(message, null, null)); }
    }

    /** 503: the database cannot be reached, or no connection is free in time. */
    record Unavailable(String message) implements ApiError {
        public int status() { return 503; }
        public String type() { return "unavailable"; }
        public String key() { return GENERAL; }
        public List<Entry> entries() { return List.of(new Entry(message, null, null)); }
    }

    /** 500: a fault of the server; the message never carries internals. */
    record Internal() implements ApiError {
        public int status() { return 500; }
        public String type() { return "internal_error"; }
        public String key() { return GENERAL; }
        public List<Entry> entries() {
            return List.of(new Entry("Internal server error; the server log has the details", null, null));
        }
    }
}
