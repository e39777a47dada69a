package events.query;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.jspecify.annotations.Nullable;

import events.schema.Entity;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The opaque {@code next}/{@code after} cursors of api.md 11.2: URL-safe base64 of a version byte, a
 * MAC and the keyset values as a JSON array. The MAC is HMAC-SHA256 (first 16 bytes) under a secret
 * that every server process on the database shares, over the values <em>and</em> the list's
 * {@link #binding}: a cursor that was altered, forged, or is used with another entity, sort, filter or
 * search fails the check.
 *
 * <pre>
 * encode(binding("User", sort=id), ["u000042"]) → "AXq3...J1MDAwMDQyIl0"
 * decode(that, same binding)                    → ["u000042"]
 * decode(that, binding("User", sort=username))  → empty (another sort)
 * decode("not-a-cursor", any)                   → empty
 * </pre>
 */
public final class CursorCodec {

    private static final byte VERSION = 1;
    private static final int MAC_BYTES = 16;
    private static final String ALGORITHM = "HmacSHA256";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Cursors are URL parts; anything longer than this was not made by {@link #encode}. */
    private static final int MAX_TOKEN = 16 * 1024;

    private final SecretKeySpec key;

    public CursorCodec(byte[] secret) {
        Objects.requireNonNull(secret, "secret must not be null");
        if (secret.length < 16) {
            throw new IllegalArgumentException("secret must have at least 16 bytes");
        }
        this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
        mac(new byte[0], new byte[0]); // loads the provider now, not on an event loop
    }

    /**
     * What a cursor is bound to: the entity, the real order (direction and type of each key), the
     * filter (conditions sorted, so their order in the query string does not matter) and the search.
     * Page size, count mode and view are free to change during a walk.
     */
    public static String binding(Entity entity, ListQuery query) {
        // A JSON array, so that no value (a filter value with a newline, say) can pose as another part.
        ArrayNode parts = JsonNodeFactory.instance.arrayNode();
        parts.add(entity.name());
        parts.add(query.byRelevance() ? "relevance" : "");
        for (SortKey key : query.order()) {
            parts.add(key.field().name() + ':' + key.field().type().name() + ':' + (key.descending() ? "desc" : "asc"));
        }
        List<String> conditions = new ArrayList<>();
        for (Condition condition : query.filter()) {
            Object value = condition.value();
            String shown = value instanceof BigDecimal number
                    ? number.stripTrailingZeros().toPlainString() : String.valueOf(value);
            conditions.add(condition.field().name() + ':' + condition.op() + ':' + shown);
        }
        conditions.sort(null);
        ArrayNode filter = parts.addArray();
        conditions.forEach(filter::add);
        if (query.search() != null) {
            parts.add(query.search());
        } else {
            parts.addNull();
        }
        return JSON.writeValueAsString(parts);
    }

    /** The cursor of {@code values} for the list of {@code binding}. */
    public String encode(String binding, List<@Nullable String> values) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        values.forEach(array::add);
        byte[] body = JSON.writeValueAsBytes(array);
        byte[] mac = mac(binding.getBytes(StandardCharsets.UTF_8), body);
        ByteBuffer token = ByteBuffer.allocate(1 + MAC_BYTES + body.length);
        token.put(VERSION).put(mac, 0, MAC_BYTES).put(body);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(token.array());
    }

    /**
     * The values of a cursor this server family issued for the list of {@code binding}; empty when the
     * token is malformed, altered, foreign or bound to another list.
     */
    public Optional<List<@Nullable String>> decode(String token, String binding) {
        if (token.length() > MAX_TOKEN) {
            return Optional.empty();
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(token.trim());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (bytes.length < 1 + MAC_BYTES + 2 || bytes[0] != VERSION) {
            return Optional.empty();
        }
        byte[] body = Arrays.copyOfRange(bytes, 1 + MAC_BYTES, bytes.length);
        byte[] expected = Arrays.copyOf(mac(binding.getBytes(StandardCharsets.UTF_8), body), MAC_BYTES);
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(bytes, 1, 1 + MAC_BYTES))) {
            return Optional.empty();
        }
        JsonNode array;
        try {
            array = JSON.readTree(body);
        } catch (JacksonException e) {
            return Optional.empty();
        }
        if (array == null || !array.isArray()) {
            return Optional.empty();
        }
        List<@Nullable String> values = new ArrayList<>();
        for (JsonNode value : array) {
            if (value.isNull()) {
                values.add(null);
            } else if (value.isString()) {
                values.add(value.asString());
            } else {
                return Optional.empty();
            }
        }
        return Optional.of(values);
    }

    /** HMAC-SHA256 of the binding, a 0 byte and the body: the 0 keeps the two parts apart. */
    private byte[] mac(byte[] binding, byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            mac.update(binding);
            mac.update((byte) 0);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
        }
    }
}
