package events.api;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.springframework.http.server.PathContainer;
import org.springframework.web.reactive.function.server.ServerRequest;

import events.error.ApiError;
import events.error.ApiException;

/**
 * The id of {@code /api/{entity}/{id}} (api.md 3.2): the whole last path segment, percent-decoded.
 * Spring's path variables stop at {@code ;} (matrix parameters), which would make {@code /api/E/a;b}
 * address the document {@code a}; here {@code ;} is an ordinary character of the id.
 */
final class PathIds {

    private PathIds() {
    }

    /** The document id of the request's path; a 400 when its escapes are not valid UTF-8. */
    static String of(ServerRequest request) {
        List<PathContainer.Element> elements = request.requestPath().pathWithinApplication().elements();
        for (int i = elements.size() - 1; i >= 0; i--) {
            if (elements.get(i) instanceof PathContainer.PathSegment segment) {
                return decode(segment.value());
            }
        }
        throw new ApiException(new ApiError.NotFound(ApiError.GENERAL, "No document id in the path"));
    }

    /** Strict percent-decoding: a malformed escape or invalid UTF-8 is the client's mistake. */
    static String decode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
                continue;
            }
            int high = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
            int low = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
            if (high < 0 || low < 0) {
                throw badId("The id in the path has a malformed percent-escape");
            }
            bytes.write(high * 16 + low);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw badId("The id in the path is not valid UTF-8");
        }
    }

    private static ApiException badId(String message) {
        return new ApiException(new ApiError.BadRequest(message, "id"));
    }
}
