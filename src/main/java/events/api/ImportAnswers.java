package events.api;

import java.util.List;
import java.util.Locale;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;

import events.documents.ImportReport;
import events.documents.Notifications;
import events.error.ApiError;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * What an import answers (api.md 12.2), over HTTP and from the {@code import} command alike: a progress
 * line {@code {"received": .., "created": .., "failed": ..}} per batch, and the summary, an envelope whose
 * {@code data} holds the counts and whose {@code notifications} hold each failed line's errors under
 * {@code "line N"} and, under {@code general}, the warnings that belong to no line.
 *
 * <p>The summary is answered with 200 whatever happened to the lines (the import itself ran); its
 * {@code status} follows api.md 3.3: {@code error} when any line failed, else {@code warning} when there is
 * a warning, else {@code success}.
 */
public final class ImportAnswers {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final MediaType JSONL = MediaType.parseMediaType("application/jsonl");

    private ImportAnswers() {
    }

    /** One progress line. */
    public static ObjectNode progress(ImportReport report) {
        ObjectNode line = NODES.objectNode();
        line.put("received", report.received());
        line.put("created", report.created());
        line.put("failed", report.failed());
        return line;
    }

    /** The summary envelope of a finished import. */
    public static ObjectNode summary(ImportReport report) {
        ObjectNode envelope = NODES.objectNode();
        envelope.set("data", progress(report));
        ObjectNode notifications = envelope.putObject("notifications");
        for (ImportReport.LineFailure failure : report.lines()) {
            ObjectNode holder = notifications.putObject(failure.key());
            ArrayNode errors = holder.putArray("errors");
            ApiError error = failure.error();
            for (ApiError.Entry entry : error.entries()) {
                Envelopes.addError(errors, error.type(), entry);
            }
            holder.putArray("warnings");
        }
        if (!report.warnings().isEmpty()) {
            ObjectNode general = notifications.putObject(ApiError.GENERAL);
            general.putArray("errors");
            ArrayNode warnings = general.putArray("warnings");
            for (Notifications.Warning warning : report.warnings()) {
                ObjectNode item = warnings.addObject();
                item.put("type", warning.type());
                item.put("message", warning.message());
                if (warning.entity() != null) {
                    item.put("entity", warning.entity());
                }
                if (warning.entityId() != null) {
                    item.put("entity_id", warning.entityId());
                }
                if (warning.field() != null) {
                    item.put("field", warning.field());
                }
            }
        }
        envelope.put("status", report.failed() > 0 ? "error" : report.warnings().isEmpty() ? "success" : "warning");
        return envelope;
    }

    /**
     * Why an import's declared body type is refused (415), or null: NDJSON ({@code application/x-ndjson},
     * also {@code application/jsonl}) in UTF-8, or no {@code Content-Type} at all (read as NDJSON, as
     * other routes read a body without one as JSON).
     */
    static @Nullable ApiError unsupportedMediaType(HttpHeaders headers) {
        List<String> values = headers.getOrEmpty(HttpHeaders.CONTENT_TYPE);
        if (values.isEmpty()) {
            return null;
        }
        MediaType type;
        try {
            type = MediaType.parseMediaType(values.get(0));
        } catch (InvalidMediaTypeException e) {
            return refused(RequestBodies.shown(values.get(0)));
        }
        if (!NdjsonResponses.NDJSON.equalsTypeAndSubtype(type) && !JSONL.equalsTypeAndSubtype(type)) {
            return refused(RequestBodies.shown(type.toString()));
        }
        String charset = type.getParameter("charset");
        if (charset != null) {
            String name = charset.replace("\"", "").toLowerCase(Locale.ROOT);
            if (!name.equals("utf-8") && !name.equals("utf8")) {
                return refused(RequestBodies.shown(type.toString()));
            }
        }
        return null;
    }

    private static ApiError refused(String shown) {
        return new ApiError.UnsupportedMediaType(shown, "An import takes UTF-8 application/x-ndjson, not " + shown);
    }
}
