package events.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generates hostile HTTP/1.1 requests for {@link HostileRequestsIntegrationTests}: every route and method,
 * query strings of junk and near-misses, {@code Content-Type}, {@code Accept} and {@code Cookie} headers
 * that do not parse, and bodies with deep nesting, numbers beyond a double, lone surrogates, invalid UTF-8,
 * duplicate keys and the wrong type for every field type of the schema. Everything comes from one
 * {@link Random}, so a seed replays a request byte for byte.
 */
final class HostileRequests {

    /** One generated request: what it is in a few words, and its bytes on the wire. */
    record Request(String summary, String method, String target, byte[] wire) {

        boolean head() {
            return method.equals("HEAD");
        }

        /** The path as sent, before percent-decoding. */
        String path() {
            int query = target.indexOf('?');
            return query < 0 ? target : target.substring(0, query);
        }
    }

    private static final String[] METHODS = {"GET", "GET", "GET", "POST", "POST", "POST", "PUT", "PUT", "PATCH",
        "DELETE", "HEAD", "OPTIONS", "TRACE", "FOO"};
    private static final String[] FIXED_ROUTES = {"/api/login", "/api/logout", "/api/refresh", "/api/session",
        "/api/metadata", "/api/db/report", "/api/db/init", "/api", "/api/", "/api//", "/", "/actuator/health", "/nope",
        "/api/login/user", "/api/_batch", "/api/User/_import"};
    private static final String[] PARAMETERS = {"page", "pageSize", "sort", "filter", "full_match", "view",
        "no_consistency", "PAGESIZE", "Filter", "count", "after", "search", "limit", "", "%", "a%zzb", "%C0%AF",
        "page[]", "filter.x", "\u00e9", "page;x"};
    private static final String[] OPERATORS = {"eq", "ne", "gt", "gte", "ge", "lt", "lte", "le", "like", "", "EQ",
        "contains", ":"};
    private static final String[] QUERY_VALUES = {"", "0", "-1", "1", "1.5", "1e3", "99999999999999999999", "NaN",
        "x", "%", "%zz", "%C0%AF", "%ED%A0%80", "%00", "%FF", "%2C", "%3A", "'", "\"", "''", "\"unclosed", "a,b",
        ",,", "::", "true", "yes", "null", "%E2%80%AE", "%F0%9F%98%80", "()", "((", "a(b", "x(y,z)", "%25",
        "2026-13-45", "2026-01-01T25:61:61Z", "2026-01-01T00:00:00+99:99", "2026-01-01T00:00:00%2B01:00",
        "0000-01-01", "9999-12-31T23:59:59.999999999Z", "2026-01-01t00:00:00z", "1e400", "-1e-400", "\\", "%5C", "_", "%25_%5C", "*", "a+b", "+",
        "%2B01:00"};
    private static final String[] CONTENT_TYPES = {"application/json", "application/json", "application/json",
        "application/json; charset=utf-8", "application/json; charset=UTF-8", "application/merge-patch+json",
        "application/json-patch+json", "application/x-ndjson", "text/plain", ";;;", "json", "application/json; charset=\"",
        "application/json, text/plain", "application/json; charset=latin1", "application/json; charset=utf-16",
        "", "*/*", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/",
        "/json", "application/json;;", "application/json; q=0", "\u00e9/\u00e9", "application/json; charset=nonsense"};
    private static final String[] ACCEPTS = {"*/*", "application/json", "application/x-ndjson",
        "application/x-ndjson;q=0", "*/*;q=garbage", ";;", "text/html", "garbage", "application/*;q=0.5",
        "application/x-ndjson, application/json;q=0.9", "text/event-stream", "application/xml", "*/*;q=\"",
        "application/json;q=2", "image/png", ",,,"};
    private static final String[] NUMBERS = {"1e400", "-1e400", "1e2147483647", "1e2147483648", "-1e2147483649",
        "1e-400", "-1e-400", "1e-2147483648", "4.9e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
        "1.7976931348623159e308", "0e-99999", "0e99999", "-0", "-0.0", "0.1", "10000000.0000000001",
        "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "7.50e1", "1E+2", "1e-7",
        "75000.0", "-100", "101", "0.30000000000000004"};
    private static final String[] BAD_NUMBER_SYNTAX = {"01", "1.", ".5", "+1", "NaN", "Infinity", "-Infinity",
        "0x10", "1e", "--1", "1e+", "1_000"};
    private static final String[] STRINGS = {"\"\"", "\" \"", "\"x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\\ud83d\"",
        "\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\uZZZZ\"", "\"\\x41\"", "\"\u202eevil\"",
        "\"'; DROP TABLE \\\"User\\\"; --\"", "\"$1\"", "\"%s%n\"", "\"../../etc/passwd\"", "\"<script>\"",
        "\"true\"", "\"123\"", "\"1e400\"", "\"2026-01-01\"", "\"2026-02-30\"", "\"2026-01-01T00:00:00Z\"",
        "\"10000-01-01\"", "\"-0001-01-01T00:00:00Z\"", "\"a/b\"", "\"  Spaced  \"", "\"\\t\\n\"", "\"\u00e9\u00e8\"",
        "\"\uD83D\uDE00\"", "\"\\\\\"", "\"%\"", "\"_\""};
    private static final byte[][] BAD_UTF8 = {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xFF}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82},
        {(byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xC3}, {(byte) 0xFE}};
    private static final String[] IDS = {"x", "no-such-id", "%", "%zz", "%C0%AF", "%ED%A0%80", "%00", "%2F", "a;b",
        "..", "%2e%2e", "%20", "+", "a%20b", "UPPER", "\u00e9", "%F0%9F%98%80", "a/b", "a//b", "%25", "test-admin-role",
        "x".repeat(200), "'", "%22", "%5C", "*", "$1", "-", "_", "~"};

    private final Random random;
    private final Map<String, Map<String, String>> entities;
    private final String adminCookie;

    private HostileRequests(Random random, Map<String, Map<String, String>> entities, String adminCookie) {
        this.random = random;
        this.entities = entities;
        this.adminCookie = adminCookie;
    }

    /**
     * The request of {@code seed}: the same seed, entities and cookie give the same bytes.
     *
     * @param entities    entity name → field name → schema type, from {@code /api/metadata}
     * @param adminCookie a live session cookie, sent with most requests so bodies get validated
     */
    static Request generate(long seed, Map<String, Map<String, String>> entities, String adminCookie) {
        Request request = new HostileRequests(new Random(seed), entities, adminCookie).next();
        return new Request("seed " + seed + ": " + request.summary(), request.method(), request.target(), request.wire());
    }

    private Request next() {
        String method = chance(3) ? pick(new String[] {"get", "Post", "DELETE ", "G\tET"}) : pick(METHODS);
        List<String> notes = new ArrayList<>();
        String path = path(notes);
        String query = chance(50) ? query(entityOf(path), notes) : "";
        String target = switch (random.nextInt(50)) {
            case 0 -> "http://localhost" + path + query; // absolute form
            case 1 -> "*";
            case 2 -> path + query + "#fragment";
            default -> path + query;
        };
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", "localhost");
        byte[] body = new byte[0];
        boolean sendsBody = method.equals("POST") || method.equals("PUT") || method.equals("PATCH") || chance(10);
        if (sendsBody) {
            body = body(path, notes);
            if (path.startsWith("/api/db/init") && new String(body, StandardCharsets.ISO_8859_1).contains("confirmed")) {
                body = "{}".getBytes(StandardCharsets.US_ASCII); // never wipe the database under the test
            }
            if (chance(85)) {
                headers.put("Content-Type", pick(CONTENT_TYPES));
            }
        } else if (chance(15)) {
            headers.put("Content-Type", pick(CONTENT_TYPES));
        }
        if (chance(60)) {
            headers.put("Accept", pick(ACCEPTS));
        }
        String cookie = cookie();
        if (cookie != null) {
            headers.put("Cookie", cookie);
        }
        if (chance(5)) {
            headers.put("Origin", pick(new String[] {"http://localhost:4200", "http://evil.example", "null", "%%%"}));
        }
        if (chance(5)) {
            headers.put(pick(new String[] {"If-Match", "If-None-Match"}), pick(new String[] {"*", "\"x\"", "junk", "\""}));
        }
        if (chance(4)) {
            headers.put("Expect", "100-continue");
        }
        if (chance(3)) {
            headers.put("Content-Encoding", pick(new String[] {"gzip", "br", "identity", "x"}));
        }
        if (chance(3) && headers.containsKey("Content-Type")) {
            headers.put("content-type", pick(CONTENT_TYPES)); // a second Content-Type header
        }
        boolean chunked = body.length > 0 && chance(10);
        notes.add(0, method + " " + shorten(target, 60));
        if (headers.containsKey("Content-Type")) {
            notes.add("CT=" + shorten(headers.get("Content-Type"), 30));
        }
        if (headers.containsKey("Accept")) {
            notes.add("Accept=" + shorten(headers.get("Accept"), 30));
        }
        if (chunked) {
            notes.add("chunked");
        }
        headers.put("Connection", "close");
        return new Request(String.join(" | ", notes).replaceAll("[^\\x20-\\x7E]", "?"), method, target,
                wire(method, target, headers, body, chunked));
    }

    private String path(List<String> notes) {
        int kind = random.nextInt(100);
        if (kind < 15) {
            return pick(FIXED_ROUTES);
        }
        String entity = entityName();
        if (kind < 55) {
            return "/api/" + entity + pick(new String[] {"", "", "", "/", "//"});
        }
        String id = chance(70) ? pick(IDS) : "id-" + Long.toString(random.nextLong(), 36);
        return "/api/" + entity + "/" + id;
    }

    private String entityName() {
        List<String> names = new ArrayList<>(entities.keySet());
        String name = names.get(random.nextInt(names.size()));
        return switch (random.nextInt(10)) {
            case 0 -> name.toLowerCase();
            case 1 -> name.toUpperCase();
            case 2 -> pick(new String[] {"NoSuchEntity", "%55ser", "User%00", "_", "metadata", "%"});
            default -> name;
        };
    }

    private String entityOf(String path) {
        String[] parts = path.split("/");
        if (parts.length > 2) {
            for (String name : entities.keySet()) {
                if (name.equalsIgnoreCase(parts[2])) {
                    return name;
                }
            }
        }
        return null;
    }

    private String query(String entity, List<String> notes) {
        StringBuilder query = new StringBuilder("?");
        int count = 1 + random.nextInt(4);
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                query.append(chance(90) ? "&" : pick(new String[] {"&&", ";", "&=&"}));
            }
            String name = pick(PARAMETERS);
            query.append(name);
            if (chance(90)) {
                query.append('=').append(parameterValue(name, entity));
            }
        }
        notes.add("query");
        return query.toString();
    }

    private String parameterValue(String name, String entity) {
        String lower = name.toLowerCase();
        if ((lower.equals("filter") || lower.equals("sort") || lower.equals("view")) && chance(70)) {
            List<String> fields = entity == null ? List.of("id", "name") : new ArrayList<>(entities.get(entity).keySet());
            StringBuilder value = new StringBuilder();
            int parts = 1 + random.nextInt(3);
            for (int i = 0; i < parts; i++) {
                if (i > 0) {
                    value.append(pick(new String[] {",", ",", "%2C", ",,"}));
                }
                String field = chance(80) ? fields.get(random.nextInt(fields.size())) : pick(QUERY_VALUES);
                switch (lower) {
                    case "filter" -> value.append(field).append(pick(new String[] {":", "%3A", "::"}))
                            .append(chance(50) ? pick(OPERATORS) + ":" : "").append(pick(QUERY_VALUES));
                    case "sort" -> value.append(field).append(chance(50) ? ":" + pick(new String[] {"asc", "desc",
                        "DESC", "up", "", "asc:desc"}) : "");
                    default -> value.append(pick(new String[] {"account", "role", "user", "url", "nosuch", ""}))
                            .append(pick(new String[] {"(", "(", "((", ""})).append(field)
                            .append(pick(new String[] {")", ")", "", "))"}));
                }
            }
            return value.toString();
        }
        return pick(QUERY_VALUES);
    }

    private String cookie() {
        int kind = random.nextInt(100);
        if (kind < 60) {
            return "sessionId=" + adminCookie;
        }
        if (kind < 75) {
            return null;
        }
        return pick(new String[] {"sessionId=", "sessionId=garbage", "sessionId=\"quoted\"", "sessionId=a; sessionId=b",
            "junk=1; sessionId=" + adminCookie, "sessionId=" + "z".repeat(3000), "sessionId=%00", "=;=;",
            "sessionId=\u00e9\u00e8", ";;;", "sessionId=" + adminCookie + "x", "sessionId"});
    }

    private byte[] body(String path, List<String> notes) {
        int kind = random.nextInt(100);
        String entity = entityOf(path);
        if (path.startsWith("/api/login") && kind < 60) {
            notes.add("login body");
            return utf8("{\"login\": " + value("String", 0) + ", \"password\": " + value("String", 0) + "}");
        }
        if (entity != null && kind < 55) {
            notes.add("document");
            return document(entity);
        }
        if (kind < 70) {
            notes.add("random JSON");
            return utf8(randomJson(0));
        }
        if (kind < 78) {
            notes.add("deep nesting");
            int depth = 1 + random.nextInt(800);
            String open = chance(50) ? "[" : "{\"a\":";
            String close = open.equals("[") ? "]" : "}";
            return utf8("{\"permissions\": " + open.repeat(depth) + "1" + close.repeat(depth) + "}");
        }
        if (kind < 86) {
            notes.add("bad UTF-8");
            byte[] json = entity != null ? document(entity) : utf8(randomJson(0));
            return withBadBytes(json);
        }
        if (kind < 93) {
            notes.add("truncated");
            byte[] json = entity != null ? document(entity) : utf8(randomJson(0));
            return java.util.Arrays.copyOf(json, random.nextInt(json.length + 1));
        }
        notes.add("odd body");
        return switch (random.nextInt(8)) {
            case 0 -> new byte[0];
            case 1 -> utf8("   ");
            case 2 -> utf8("null");
            case 3 -> utf8("\uFEFF{}");
            case 4 -> "{\"name\": \"utf16\"}".getBytes(StandardCharsets.UTF_16);
            case 5 -> randomBytes();
            case 6 -> utf8("{} {}");
            default -> utf8("[" + "{},".repeat(random.nextInt(50)) + "{}]");
        };
    }

    /** A document of {@code entity}: most fields plausible, some hostile, plus stray and duplicate keys. */
    private byte[] document(String entity) {
        StringBuilder json = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, String> field : entities.get(entity).entrySet()) {
            if (chance(20)) {
                continue;
            }
            if (!first) {
                json.append(", ");
            }
            first = false;
            String value = chance(30) ? hostileValue(field.getValue()) : plausibleValue(field.getKey(), field.getValue());
            json.append('"').append(field.getKey()).append("\": ").append(value);
        }
        if (chance(20)) {
            json.append(first ? "" : ", ").append(pick(STRINGS)).append(": ").append(value("Json", 0));
            first = false;
        }
        if (chance(10) && !first) {
            String duplicate = new ArrayList<>(entities.get(entity).keySet()).get(0);
            json.append(", \"").append(duplicate).append("\": ").append(value("Json", 0));
        }
        return utf8(json.append('}').toString());
    }

    private String plausibleValue(String name, String type) {
        String unique = Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
        return switch (type) {
            case "String" -> name.equals("email") ? "\"h" + unique + "@example.com\""
                    : name.equals("url") ? "\"https://example.org/" + unique + "\"" : "\"value " + unique + "\"";
            case "ObjectId" -> name.equals("id") ? "\"h-" + unique + "\"" : "\"missing-" + unique + "\"";
            case "Integer" -> Integer.toString(random.nextInt(200) - 100);
            case "Number", "Float", "Currency" -> random.nextInt(100000) + "." + random.nextInt(100);
            case "Boolean" -> "true";
            case "Date" -> "\"2026-01-0" + (1 + random.nextInt(9)) + "\"";
            case "Datetime" -> "\"2026-01-01T10:00:00Z\"";
            case "Array[String]" -> "[\"a\", \"b\"]";
            case "JSON" -> "{\"k\": \"v\"}";
            default -> "{\"*\": \"r\"}";
        };
    }

    /** A value of the wrong type, out of range, or of bad text, for a field of {@code type}. */
    private String hostileValue(String type) {
        return switch (random.nextInt(7)) {
            case 0 -> pick(NUMBERS);
            case 1 -> longNumber();
            case 2 -> pick(STRINGS);
            case 3 -> pick(new String[] {"true", "false", "null", "[]", "{}", "[null]", "[1, \"a\"]", "{\"\": 1}"});
            case 4 -> value(type, 0);
            case 5 -> "\"" + "long ".repeat(random.nextInt(30000)) + "\"";
            default -> randomJson(0);
        };
    }

    private String value(String type, int depth) {
        return switch (random.nextInt(5)) {
            case 0 -> pick(NUMBERS);
            case 1 -> pick(STRINGS);
            case 2 -> depth < 4 ? randomJson(depth + 1) : "1";
            case 3 -> pick(new String[] {"true", "null", "[]", "{}"});
            default -> plausibleValue("x", type);
        };
    }

    private String randomJson(int depth) {
        int kind = depth > 5 ? random.nextInt(4) : random.nextInt(6);
        return switch (kind) {
            case 0 -> pick(NUMBERS);
            case 1 -> pick(STRINGS);
            case 2 -> pick(new String[] {"true", "false", "null"});
            case 3 -> chance(5) ? pick(BAD_NUMBER_SYNTAX) : longNumber();
            case 4 -> {
                StringBuilder array = new StringBuilder("[");
                int size = random.nextInt(5);
                for (int i = 0; i < size; i++) {
                    array.append(i > 0 ? "," : "").append(randomJson(depth + 1));
                }
                yield array.append(']').toString();
            }
            default -> {
                StringBuilder object = new StringBuilder("{");
                int size = random.nextInt(5);
                for (int i = 0; i < size; i++) {
                    String key = chance(70) ? "\"k" + random.nextInt(4) + "\"" : pick(STRINGS);
                    object.append(i > 0 ? "," : "").append(key).append(':').append(randomJson(depth + 1));
                }
                yield object.append('}').toString();
            }
        };
    }

    private String longNumber() {
        int digits = 1 + random.nextInt(chance(10) ? 1500 : 40);
        StringBuilder number = new StringBuilder(chance(30) ? "-" : "");
        number.append(1 + random.nextInt(9));
        for (int i = 1; i < digits; i++) {
            number.append(random.nextInt(10));
        }
        if (chance(40)) {
            number.append('.').append(random.nextInt(1000));
        }
        if (chance(40)) {
            number.append('e').append(chance(50) ? "-" : "").append(random.nextInt(chance(20) ? Integer.MAX_VALUE : 400));
        }
        return number.toString();
    }

    private byte[] withBadBytes(byte[] json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = json.length == 0 ? 0 : random.nextInt(json.length);
        // Prefer a spot just inside a string, where a client's bad bytes usually end up.
        for (int i = at; i < json.length; i++) {
            if (json[i] == '"') {
                at = i + 1;
                break;
            }
        }
        out.write(json, 0, Math.min(at, json.length));
        out.writeBytes(BAD_UTF8[random.nextInt(BAD_UTF8.length)]);
        out.write(json, Math.min(at, json.length), json.length - Math.min(at, json.length));
        return out.toByteArray();
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[random.nextInt(200)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] wire(String method, String target, Map<String, String> headers, byte[] body, boolean chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((method + " " + target + " HTTP/1.1\r\n").getBytes(StandardCharsets.UTF_8));
        headers.forEach((name, value) -> out.writeBytes((name + ": " + value + "\r\n").getBytes(StandardCharsets.UTF_8)));
        if (chunked) {
            out.writeBytes("Transfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < body.length; i += 100) {
                int length = Math.min(100, body.length - i);
                out.writeBytes((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body, i, length);
                out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
            if (body.length > 0 || !method.equals("GET")) {
                out.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    private boolean chance(int percent) {
        return random.nextInt(100) < percent;
    }

    private String pick(String[] options) {
        return options[random.nextInt(options.length)];
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String shorten(String text, int max) {
        return text.length() > max ? text.substring(0, max) + "..." : text;
    }
}
