package events.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import events.error.ApiError;
import events.error.ApiException;
import events.query.CountMode;
import events.query.CursorCodec;
import events.query.ListQuery;
import events.schema.Entity;
import events.schema.Schema;
import events.schema.SchemaLoader;

/** Unit tests for {@link ListQueryParser}: {@code count}, {@code search} and {@code after} (api.md 11). */
final class ListQueryParserTests {

    private static final Schema SCHEMA = new SchemaLoader().load("entities:\n  Item:\n    fields:\n"
            + "      name: { type: String, search: true }\n      score: { type: Integer }\n"
            + "      active: { type: Boolean }\n  Plain:\n    fields:\n      label: { type: String }\n", null);
    private static final Entity ITEM = SCHEMA.entity("Item").orElseThrow();
    private static final CursorCodec CURSORS = new CursorCodec("0123456789abcdef0123456789abcdef".getBytes());
    private static final ListQueryParser PARSER = new ListQueryParser(SCHEMA, CURSORS, CountMode.ESTIMATED);

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "null", value = {
        "null|ESTIMATED",
        "count=|ESTIMATED",
        "count=exact|EXACT",
        "count=Estimated|ESTIMATED",
        "COUNT=none|NONE"})
    void parsesCountModesWithTheConfiguredDefault(String query, CountMode mode) {
        assertThat(list("Item", query).count()).isEqualTo(mode);
    }

    @Test
    void parsesSearchWords() {
        ListQuery query = list("Item", "search=%20%22jazz%20night%22%20-rock%20");
        assertThat(query.search()).isEqualTo("\"jazz night\" -rock");
        assertThat(query.byRelevance()).isTrue();
        assertThat(query.keyCount()).isEqualTo(2); // relevance, id
        assertThat(list("Item", "search=jazz&sort=score").byRelevance()).isFalse();
        assertThat(list("Item", "search=%20").search()).isNull();
        assertThat(list("Plain", "search=").search()).isNull();
    }

    @Test
    void acceptsACursorOfTheSameList() {
        ListQuery first = list("Item", "sort=score:desc,active&filter=score:gte:3");
        String token = CURSORS.encode(CursorCodec.binding(ITEM, first), Arrays.asList("7", null, "i000009"));
        ListQuery next = list("Item", "filter=score:gte:3&sort=score:desc,active&pageSize=50&after=" + token);
        assertThat(next.after().values()).containsExactly("7", null, "i000009");
        assertThat(next.page().size()).isEqualTo(50);
    }

    @Test
    void rejectsACursorWhoseValueDoesNotFitItsKey() {
        ListQuery first = list("Item", "sort=active");
        String notABoolean = CURSORS.encode(CursorCodec.binding(ITEM, first), List.of("maybe", "i1"));
        assertRejected("sort=active&after=" + notABoolean, "after", "value for 'active' is malformed");
        String missingId = CURSORS.encode(CursorCodec.binding(ITEM, first), Arrays.asList("true", null));
        assertRejected("sort=active&after=" + missingId, "after", "malformed");
        String tooShort = CURSORS.encode(CursorCodec.binding(ITEM, first), List.of("i1"));
        assertRejected("sort=active&after=" + tooShort, "after", "does not fit");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "count=all|count|count must be exact, estimated or none, not 'all'",
        "search=jazz&count=some|count|count must be",
        "after=garbage|after|not a cursor of this list",
        "search=%00|search|NUL",
        "page=2&after=x|after|after and page cannot be combined"})
    void rejectsWithTheParameterNamed(String query, String parameter, String message) {
        assertRejected(query, parameter, message);
    }

    @Test
    void rejectsACursorOfAnotherSortFilterOrSearch() {
        String token = CURSORS.encode(CursorCodec.binding(ITEM, list("Item", "sort=score")), List.of("3", "i1"));
        assertThat(list("Item", "sort=score&after=" + token).after()).isNotNull();
        assertRejected("sort=score:desc&after=" + token, "after", "not a cursor of this list");
        assertRejected("sort=score&filter=score:1&after=" + token, "after", "not a cursor of this list");
        assertRejected("sort=score&search=x&after=" + token, "after", "not a cursor of this list");
    }

    @Test
    void rejectsSearchOnAnEntityWithoutSearchableFields() {
        assertThatThrownBy(() -> list("Plain", "search=jazz")).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(((ApiError.BadRequest) e.error()).parameter()).isEqualTo("search");
            assertThat(e.error().entries().get(0).message()).contains("Plain has no searchable fields");
        });
    }

    @Test
    void rejectsOverlongSearches() {
        assertRejected("search=" + "a".repeat(ListQueryParser.MAX_SEARCH + 1), "search", "at most");
    }

    @Test
    void listsTheNewParametersAmongTheValidOnes() {
        assertThatThrownBy(() -> QueryParameters.of("limit=5")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.error().entries().get(0).message()).contains("count", "after", "search"));
    }

    private static ListQuery list(String entity, String query) {
        return PARSER.list(SCHEMA.entity(entity).orElseThrow(), QueryParameters.of(query));
    }

    private static void assertRejected(String query, String parameter, String message) {
        assertThatThrownBy(() -> list("Item", query)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.error()).isInstanceOf(ApiError.BadRequest.class);
            assertThat(((ApiError.BadRequest) e.error()).parameter()).isEqualTo(parameter);
            assertThat(e.error().entries().get(0).message()).contains(message);
        });
    }
}
