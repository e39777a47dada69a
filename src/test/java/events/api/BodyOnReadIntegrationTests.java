package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import events.support.TestServers;

/**
 * GET and DELETE may carry a body, even {@code null} (api.md 3.1): it is ignored and the same
 * keep-alive connection serves the next request. Raw HTTP/1.1 on one socket, so reuse is certain.
 */
final class BodyOnReadIntegrationTests {

    private final int port = TestServers.shared().port();
    private final String cookie = TestServers.sessionCookie(TestServers.shared());

    @ParameterizedTest
    @ValueSource(strings = {"null", "{}", "{\"name\":\"ignored\"}", "not even json"})
    void getWithABodyIsServedAndTheConnectionStaysUsable(String body) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            send(out, "GET", "/api/Account?pageSize=1", body);
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200").contains("\"pagination\"");
            send(out, "DELETE", "/api/Account/no-such-id", body);
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200").contains("\"data\":{}");
            send(out, "GET", "/api/metadata", null);
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200").contains("\"projectName\"");
        }
    }

    @Test
    void chunkedBodyOnGetIsIgnoredToo() throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            out.write(("GET /api/Account?pageSize=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Cookie: sessionId=" + cookie + "\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnull\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
            send(out, "GET", "/api/Account?pageSize=1", null);
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
        }
    }

    private void send(OutputStream out, String method, String path, String body) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Cookie: sessionId=" + cookie + "\r\n");
        if (body != null) {
            request.append("Content-Type: application/json\r\nContent-Length: ").append(bytes.length).append("\r\n");
        }
        request.append("\r\n");
        out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    /** Reads one response (status line, headers, Content-Length or chunked body) from the stream. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed after: " + head);
            }
            head.append((char) c);
        }
        String headers = head.toString().toLowerCase(Locale.ROOT);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headers.contains("transfer-encoding: chunked")) {
            while (true) {
                String sizeLine = readLine(in);
                int size = Integer.parseInt(sizeLine.trim(), 16);
                if (size == 0) {
                    readLine(in);
                    break;
                }
                body.write(in.readNBytes(size));
                readLine(in);
            }
        } else {
            int start = headers.indexOf("content-length:");
            int length = Integer.parseInt(headers.substring(start + 15, headers.indexOf("\r\n", start)).trim());
            body.write(in.readNBytes(length));
        }
        return head + body.toString(StandardCharsets.UTF_8);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }
}
