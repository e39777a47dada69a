package events.api;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.springframework.web.reactive.function.server.ServerRequest;

import events.documents.EntityTags;
import events.error.ApiError;
import events.error.ApiException;

/**
 * Parses {@code If-Match} and {@code If-None-Match} (RFC 9110 13.1): {@code *}, or a comma-separated
 * list of entity tags ({@code "17"}, {@code W/"17"}). Several header lines form one list. A header that
 * does not parse is a 400 naming it, never ignored: a client that sent a precondition wants it checked.
 */
final class EntityTagHeaders {

    static final String IF_MATCH = "If-Match";
    static final String IF_NONE_MATCH = "If-None-Match";

    private EntityTagHeaders() {
    }

    /** The header's tags, or null when the request has none. */
    static @Nullable EntityTags of(ServerRequest request, String header) {
        List<String> lines = request.headers().header(header);
        return lines.isEmpty() ? null : parse(String.join(",", lines), header);
    }

    /**
     * {@code "*"} alone, or entity tags: {@code [W/]"<etagc>*"} where etagc is {@code !} or {@code #}-{@code ~}
     * or obs-text (so no space, no {@code "}), separated by commas with optional spaces; empty list
     * elements are skipped, an empty list is malformed.
     */
    static EntityTags parse(String value, String header) {
        String trimmed = value.strip();
        if (trimmed.equals("*")) {
            return EntityTags.ANY;
        }
        Set<String> strong = new HashSet<>();
        Set<String> weak = new HashSet<>();
        int i = 0;
        int n = value.length();
        while (i < n) {
            char c = value.charAt(i);
            if (c == ' ' || c == '\t' || c == ',') {
                i++;
                continue;
            }
            boolean isWeak = false;
            if (c == 'W' && i + 1 < n && value.charAt(i + 1) == '/') {
                isWeak = true;
                i += 2;
            }
            if (i >= n || value.charAt(i) != '"') {
                throw malformed(header);
            }
            int end = i + 1;
            while (end < n && value.charAt(end) != '"') {
                char t = value.charAt(end);
                if (t < 0x21 || t == 0x7F || t > 0xFF) {
                    throw malformed(header);
                }
                end++;
            }
            if (end >= n) {
                throw malformed(header);
            }
            String tag = value.substring(i, end + 1);
            (isWeak ? weak : strong).add(tag);
            i = end + 1;
            // After a tag: only spaces, then a comma or the end.
            while (i < n && (value.charAt(i) == ' ' || value.charAt(i) == '\t')) {
                i++;
            }
            if (i < n && value.charAt(i) != ',') {
                throw malformed(header);
            }
        }
        if (strong.isEmpty() && weak.isEmpty()) {
            throw malformed(header);
        }
        return new EntityTags(false, strong, weak);
    }

    private static ApiException malformed(String header) {
        return new ApiException(new ApiError.BadRequest(header + " must be * or entity tags such as \"17\"", header));
    }
}
