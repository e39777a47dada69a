package events.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import events.documents.EntityTags;
import events.error.ApiError;
import events.error.ApiException;

/** Unit tests for {@link EntityTagHeaders}: {@code If-Match} and {@code If-None-Match} values. */
final class EntityTagHeadersTests {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"17\"|17|true|true",
            "W/\"17\"|17|false|true",
            "\"3\", \"17\"|17|true|true",
            "\"3\",,\"17\" |17|true|true",
            "\"3\"|17|false|false",
            "*|17|true|true",
            " * |17|true|true"})
    void parsesTagsAndComparesStronglyOrWeakly(String header, long version, boolean strong, boolean weak) {
        EntityTags tags = EntityTagHeaders.parse(header, "If-Match");
        assertThat(tags.matches(version)).isEqualTo(strong);
        assertThat(tags.matchesWeakly(EntityTags.etag(version))).isEqualTo(weak);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", ",", "17", "\"17", "W/17", "w/\"17\"", "\"a\" \"b\"", "\"a\"x", "**", "*, \"1\"",
            "\"a b\"", "\"\u0001\""})
    void refusesMalformedValuesNamingTheHeader(String header) {
        assertThatThrownBy(() -> EntityTagHeaders.parse(header, "If-Match"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isInstanceOf(ApiError.BadRequest.class);
                    assertThat(e.error().entries().get(0).field()).isEqualTo("If-Match");
                });
    }
}
