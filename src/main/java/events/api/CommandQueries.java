package events.api;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.StringJoiner;

import org.springframework.web.util.UriUtils;

import events.query.ListQuery;
import events.schema.Entity;
import events.schema.Schema;

/**
 * The query language of lists (api.md 5) for the jar's commands ({@code export --filter ... --sort ...},
 * api.md 12.3): the same parser and the same 400s as {@code GET /api/{E}}, so a filter that works in a
 * URL works on the command line.
 */
public final class CommandQueries {

    private CommandQueries() {
    }

    /**
     * The list query of {@code parameters} (names as in a URL: {@code filter}, {@code sort},
     * {@code search}, {@code full_match}...), every document when empty. A mistake is an
     * {@link events.error.ApiException} with a 400 naming the parameter.
     */
    public static ListQuery list(Schema schema, Entity entity, Map<String, String> parameters) {
        StringJoiner query = new StringJoiner("&");
        parameters.forEach((name, value) -> query.add(UriUtils.encode(name, StandardCharsets.UTF_8) + "="
                + UriUtils.encode(value, StandardCharsets.UTF_8)));
        return new ListQueryParser(schema).list(entity, QueryParameters.of(query.toString()));
    }
}
