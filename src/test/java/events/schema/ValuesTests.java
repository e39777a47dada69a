package events.schema;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests for {@link Values}. */
final class ValuesTests {

    @ParameterizedTest
    @CsvSource({
        "2025-11-12, 2025-11-12T00:00:00.000Z",
        "2025-11-12T18:30:05Z, 2025-11-12T18:30:05.000Z",
        "2025-11-12T18:30:05.123456Z, 2025-11-12T18:30:05.123Z",
        "2025-11-12T18:30:05, 2025-11-12T18:30:05.000Z",
        "2025-11-12T20:30:05.5+02:00, 2025-11-12T18:30:05.500Z",
        "2025-11-12 18:30:05z, 2025-11-12T18:30:05.000Z"})
    void datetimesBecomeFixedWidthUtcMilliseconds(String input, String stored) {
        assertThat(Values.datetime(input)).contains(stored);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2025-13-01", "2025-02-30", "12/11/2025", "2025-11-12T25:00:00Z", "yesterday", "",
            "2025-11-12T18:30", "20251112"})
    void rejectsBadDatetimes(String input) {
        assertThat(Values.datetime(input)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
        "2025-11-12, 2025-11-12",
        "2025-11-12T23:30:00-05:00, 2025-11-12",
        "2025-11-12T00:30:00+02:00, 2025-11-12"})
    void datesKeepTheirCalendarDate(String input, String stored) {
        assertThat(Values.date(input)).contains(stored);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2025-02-29", "2025-1-1", "11/12/2025", "x"})
    void rejectsBadDates(String input) {
        assertThat(Values.date(input)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"'  ABC-1 ', abc-1", "x, x", "Ünïcode, ünïcode"})
    void clientIdsAreTrimmedAndLowerCased(String input, String id) {
        assertThat(Values.clientId(input)).contains(id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "a b", "a/b", "a\tb", "a\u0001b", "a\u00a0b", "a\ud800", "\udc00b", "a\udc00\ud800"})
    void rejectsBadClientIds(String input) {
        assertThat(Values.clientId(input)).isEmpty();
    }
}
