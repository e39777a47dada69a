package events.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;


/**
 * A parsed {@code postgresql://[user[:password]@]host[:port][/dbname][?params]} URI.
 * {@link #toString()} never shows the password.
 */
public record DatabaseUri(String host, int port, String user, @Nullable String password, @Nullable String database,
                          Map<String, String> params) {

    public DatabaseUri {
        Objects.requireNonNull(host, "host must not be null");
        Objects.requireNonNull(user, "user must not be null");
        params = Map.copyOf(params);
    }

    public static DatabaseUri parse(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new StartupException("Configuration error: db_uri is not a valid URI (" + e.getReason() + ")");
        }
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
            throw new StartupException("Configuration error: db_uri must start with postgresql://");
        }
        if (uri.getHost() == null) {
            throw new StartupException("Configuration error: db_uri names no host");
        }
        String user = "postgres";
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            password = parts.length > 1 ? decode(parts[1]) : null;
        }
        String path = uri.getRawPath();
        String database = path == null || path.length() <= 1 ? null : decode(path.substring(1));
        Map<String, String> params = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                if (!pair.isEmpty()) {
                    String[] kv = pair.split("=", 2);
                    params.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
                }
            }
        }
        return new DatabaseUri(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 5432, user, password, database, params);
    }

    public DatabaseUri withDatabase(String name) {
        return new DatabaseUri(host, port, user, password, name, params);
    }

    /** The URI with the password replaced, for logs and the report. */
    @Override
    public String toString() {
        return "postgresql://" + user + (password == null ? "" : ":***") + "@" + host + ":" + port + "/"
                + (database == null ? "" : database);
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
