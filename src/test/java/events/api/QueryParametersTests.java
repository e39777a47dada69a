package events.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import events.error.ApiError;
import events.error.ApiException;
import events.query.ListQuery;
import events.schema.Entity;
import events.schema.Schema;
import tools.jackson.databind.node.JsonNodeFactory;

/** Unit tests for {@link QueryParameters}: query strings in, pages or 400s out. */
final class QueryParametersTests {

    private static final Entity ENTITY = new Entity("Thing", List.of(), List.of(), "crud", null);
    private static final ListQueryParser PARSER = new ListQueryParser(
            new Schema("Things", List.of(ENTITY), JsonNodeFactory.instance.objectNode()));

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "null", value = {
        "null|1|25",
        "page=3|3|25",
        "pageSize=1000|1|1000",
        "PAGESIZE=10&page=2|2|10",
        "pagesize=10&PageSize=20|1|20",
        "page=2&page=5|5|25",
        "page=%32|2|25",
        "filter=&sort=&view=&full_match&no_consistency=1|1|25"})
    void parsesPages(String query, int page, int size) {
        ListQuery parsed = PARSER.list(ENTITY, QueryParameters.of(query));
        assertThat(parsed.page().number()).isEqualTo(page);
        assertThat(parsed.page().size()).isEqualTo(size);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "page=0|page",
        "page=-1|page",
        "page=1.5|page",
        "page=x|page",
        "page=|page",
        "pageSize=0|pageSize",
        "pageSize=-5|pageSize",
        "pageSize=1001|pageSize",
        "limit=5|limit",
        "page=%zz|page"})
    void rejectsWithTheParameterNamed(String query, String parameter) {
        assertThatThrownBy(() -> PARSER.list(ENTITY, QueryParameters.of(query)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isInstanceOf(ApiError.BadRequest.class);
                    assertThat(((ApiError.BadRequest) e.error()).parameter()).isEqualTo(parameter);
                });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "limit=5|Unknown parameter 'limit'; valid: page,pageSize,sort,filter,full_match,view,count,after,search",
        "sort;pageSize=1|Unknown parameter 'sort;pag...'; valid: page,pageSize,sort,filter,full_match,view,count,after,search"})
    void namesAnUnknownParameterAndTheValidOnesWithin100Characters(String query, String message) {
        assertThatThrownBy(() -> QueryParameters.of(query))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error().entries().get(0).message()).isEqualTo(message).hasSizeLessThanOrEqualTo(100);
                    assertThat(e.error().entries().get(0).field()).isEqualTo(query.substring(0, query.indexOf('=')));
                });
    }
}
