package events.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * HTTP/1.1 over a plain socket, for the cases a client library hides or repairs: requests written back to
 * back on one kept-alive connection, a reset in the middle of a request, a reader that stops reading,
 * invalid UTF-8 bytes, malformed headers, headers sent slowly. Responses are parsed by
 * {@code Content-Length}, chunked encoding or, on a closing connection, the end of the stream.
 */
public final class RawHttp implements Closeable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects to the local server; every read waits at most {@code readTimeout}. */
    public static RawHttp connect(int port, Duration readTimeout) throws IOException {
        return connect(port, readTimeout, 0);
    }

    /** As {@link #connect(int, Duration)}, with a small receive buffer when {@code receiveBuffer} > 0. */
    public static RawHttp connect(int port, Duration readTimeout, int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer); // before connect, so the TCP window is small too
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout((int) readTimeout.toMillis());
        socket.setTcpNoDelay(true);
        return new RawHttp(socket);
    }

    /** Sends one request on a new connection and reads its response. */
    public static Response exchange(int port, byte[] request) throws IOException {
        try (RawHttp http = connect(port, Duration.ofSeconds(30))) {
            http.send(request);
            return http.read();
        }
    }

    /** Sends one request on a new connection and reads its response. */
    public static Response exchange(int port, String request) throws IOException {
        return exchange(port, request.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A request with the given head lines (request line first, no final line end) and body;
     * {@code Host} and {@code Content-Length} are added.
     */
    public static byte[] request(String head, byte[] body) {
        byte[] start = (head + "\r\nHost: localhost\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[start.length + body.length];
        System.arraycopy(start, 0, all, 0, start.length);
        System.arraycopy(body, 0, all, start.length, body.length);
        return all;
    }

    /** A GET request's text, with the session cookie when given and extra {@code Name: value} headers. */
    public static String get(String path, String cookie, String... headers) {
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: localhost\r\n");
        if (cookie != null) {
            request.append("Cookie: sessionId=").append(cookie).append("\r\n");
        }
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return request.append("\r\n").toString();
    }

    /** A request with a JSON body. */
    public static String withBody(String method, String path, String cookie, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        StringBuilder request = new StringBuilder(method).append(' ').append(path)
                .append(" HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ")
                .append(body.length).append("\r\n");
        if (cookie != null) {
            request.append("Cookie: sessionId=").append(cookie).append("\r\n");
        }
        return request.append("\r\n").append(json).toString();
    }

    /** Writes {@code text} in one write (several requests in it are pipelined). */
    public RawHttp send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return this;
    }

    /** Writes {@code bytes} as they are. */
    public RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one whole response; a {@link SocketTimeoutException} when the server does not answer in time. */
    public Response read() throws IOException {
        return read(false);
    }

    /**
     * Reads one whole response, after any interim ones ({@code 100 Continue}); the answer to a
     * {@code HEAD} request has no body whatever its headers say.
     */
    public Response read(boolean headRequest) throws IOException {
        int status;
        Map<String, String> headers;
        do {
            String statusLine = line();
            if (statusLine == null) {
                throw new IOException("Connection closed before a response");
            }
            status = Integer.parseInt(statusLine.split(" ")[1]);
            headers = new LinkedHashMap<>();
            for (String line = line(); line != null && !line.isEmpty(); line = line()) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        } while (status >= 100 && status < 200);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headRequest || status == 204 || status == 304) {
            return new Response(status, headers, body.toByteArray());
        }
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line().split(";")[0].trim(), 16); size > 0;
                 size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            line();
        } else if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else if ("close".equalsIgnoreCase(headers.get("connection"))) {
            body.write(in.readAllBytes());
        }
        return new Response(status, headers, body.toByteArray());
    }

    /** Reads whatever arrives until {@code max} bytes, the end of the stream or the read timeout. */
    public int drain(int max) throws IOException {
        byte[] buffer = new byte[8192];
        int total = 0;
        try {
            for (int n; total < max && (n = in.read(buffer, 0, Math.min(buffer.length, max - total))) >= 0; ) {
                total += n;
            }
        } catch (SocketTimeoutException e) {
            // nothing more in time
        }
        return total;
    }

    /** Whether the server closed the connection (read returns end of stream or a reset within the timeout). */
    public boolean closedByServer() throws IOException {
        try {
            while (in.read() >= 0) {
                // discard what was still in flight
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /** Whether response bytes are waiting to be read. */
    public boolean hasData() throws IOException {
        return in.available() > 0;
    }

    /** One line as text, without its line end; null at the end of the stream. */
    public String readLine() throws IOException {
        return line();
    }

    /** Cuts the connection with a TCP reset, as a client that vanishes does. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); ; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    /** A parsed response; header names in lower case. */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            return JSON.readTree(body);
        }
    }
}
