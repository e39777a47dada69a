package events.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Unit tests for {@link RequestIds}. */
final class RequestIdsTests {

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
        "abc|true",
        "0b5c7e0e-1f6c-4d2e-9d55-1e2f3a4b5c6d|true",
        "!~{}[]()<>@#$%^&*_+=:;\"?/.,|true",
        "NULL|false",
        "''|false",
        "with space|false",
        "tab\there|false",
        "caf\u00e9|false",
        "snow\u2603|false",
        "be\u0007ll|false",
        "de\u007fl|false"})
    void acceptsOnlyPrintableAsciiWithoutSpaces(String id, boolean sane) {
        assertThat(RequestIds.sane(id)).isEqualTo(sane);
    }

    @Test
    void acceptsUpTo128Characters() {
        assertThat(RequestIds.sane("x".repeat(128))).isTrue();
        assertThat(RequestIds.sane("x".repeat(129))).isFalse();
    }

    @Test
    void generatesDistinctUlids() {
        String first = RequestIds.generate();
        String second = RequestIds.generate();
        assertThat(first).matches("[0-9A-HJKMNP-TV-Z]{26}").isNotEqualTo(second);
        assertThat(RequestIds.sane(first)).isTrue();
    }
}
