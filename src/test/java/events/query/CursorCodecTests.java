package events.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import events.schema.Entity;
import events.schema.Schema;
import events.schema.SchemaLoader;

/** Unit tests for {@link CursorCodec}: cursors round-trip, and nothing else passes for one. */
final class CursorCodecTests {

    private static final Schema SCHEMA = new SchemaLoader().load("entities:\n  Item:\n    fields:\n"
            + "      name: { type: String, search: true }\n      score: { type: Integer }\n"
            + "  Other:\n    fields:\n      name: { type: String }\n", null);
    private static final Entity ITEM = SCHEMA.entity("Item").orElseThrow();
    private static final Entity OTHER = SCHEMA.entity("Other").orElseThrow();
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();
    private final CursorCodec codec = new CursorCodec(SECRET);

    @Test
    void roundTripsValuesIncludingMissingOnes() {
        String binding = CursorCodec.binding(ITEM, query(sort("score", true)));
        List<String> values = Arrays.asList(null, "Ünïcode \"quoted\" ,:&=", "i000042");
        String token = codec.encode(binding, values);
        assertThat(token).matches("[A-Za-z0-9_-]+"); // URL-safe, no padding
        assertThat(codec.decode(token, binding)).contains(values);
    }

    @Test
    void anotherServerProcessWithTheSameSecretAcceptsIt() {
        String binding = CursorCodec.binding(ITEM, query(List.of()));
        String token = codec.encode(binding, List.of("i1"));
        assertThat(new CursorCodec(SECRET.clone()).decode(token, binding)).contains(List.of("i1"));
    }

    @Test
    void refusesACursorOfAnotherSecret() {
        String binding = CursorCodec.binding(ITEM, query(List.of()));
        String token = new CursorCodec("another-secret-of-32-bytes......".getBytes()).encode(binding, List.of("i1"));
        assertThat(codec.decode(token, binding)).isEmpty();
    }

    @Test
    void refusesEveryAlteredByte() {
        String binding = CursorCodec.binding(ITEM, query(List.of()));
        byte[] bytes = Base64.getUrlDecoder().decode(codec.encode(binding, List.of("i000001")));
        for (int i = 0; i < bytes.length; i++) {
            byte[] altered = bytes.clone();
            altered[i] ^= 0x01;
            assertThat(codec.decode(Base64.getUrlEncoder().withoutPadding().encodeToString(altered), binding))
                    .as("byte %d altered", i).isEmpty();
        }
    }

    @Test
    void isBoundToEntitySortFilterAndSearch() {
        ListQuery base = query(sort("score", false));
        String token = codec.encode(CursorCodec.binding(ITEM, base), List.of("5", "i1"));
        assertThat(codec.decode(token, CursorCodec.binding(OTHER, base))).isEmpty();
        assertThat(codec.decode(token, CursorCodec.binding(ITEM, query(sort("score", true))))).isEmpty();
        assertThat(codec.decode(token, CursorCodec.binding(ITEM, query(sort("name", false))))).isEmpty();
        Condition high = new Condition(ITEM.field("score").orElseThrow(), Condition.Op.GE, new java.math.BigDecimal("3"));
        ListQuery filtered = new ListQuery(new PageRequest(1, 25), false, sort("score", false), List.of(high), List.of());
        assertThat(codec.decode(token, CursorCodec.binding(ITEM, filtered))).isEmpty();
        ListQuery searched = new ListQuery(new PageRequest(1, 25), false, sort("score", false), List.of(), List.of(),
                CountMode.EXACT, "jazz", null);
        assertThat(codec.decode(token, CursorCodec.binding(ITEM, searched))).isEmpty();
        // Page size, count mode and view are free to change along a walk.
        ListQuery other = new ListQuery(new PageRequest(1, 100), true, sort("score", false), List.of(), List.of(),
                CountMode.NONE, null, null);
        assertThat(codec.decode(token, CursorCodec.binding(ITEM, other))).contains(List.of("5", "i1"));
    }

    @Test
    void theOrderOfFilterConditionsDoesNotMatter() {
        Condition low = new Condition(ITEM.field("score").orElseThrow(), Condition.Op.GE, new java.math.BigDecimal("3"));
        Condition high = new Condition(ITEM.field("score").orElseThrow(), Condition.Op.LE, new java.math.BigDecimal("9.0"));
        Condition highAgain = new Condition(ITEM.field("score").orElseThrow(), Condition.Op.LE, new java.math.BigDecimal("9"));
        ListQuery one = new ListQuery(new PageRequest(1, 25), false, List.of(), List.of(low, high), List.of());
        ListQuery two = new ListQuery(new PageRequest(1, 25), false, List.of(), List.of(highAgain, low), List.of());
        assertThat(CursorCodec.binding(ITEM, one)).isEqualTo(CursorCodec.binding(ITEM, two));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "x", "!!!", "AQ", "not-a-cursor-at-all", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "%41%42"})
    void refusesMalformedTokens(String token) {
        assertThat(codec.decode(token, CursorCodec.binding(ITEM, query(List.of())))).isEmpty();
    }

    @Test
    void refusesOverlongTokens() {
        assertThat(codec.decode("A".repeat(20_000), CursorCodec.binding(ITEM, query(List.of())))).isEmpty();
    }

    private static ListQuery query(List<SortKey> sort) {
        return new ListQuery(new PageRequest(1, 25), false, sort, List.of(), List.of());
    }

    private static List<SortKey> sort(String field, boolean descending) {
        List<SortKey> keys = new ArrayList<>();
        keys.add(new SortKey(ITEM.field(field).orElseThrow(), descending));
        return keys;
    }
}
