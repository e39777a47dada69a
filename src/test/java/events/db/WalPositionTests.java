package events.db;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests for {@link WalPosition}: the strict parse of the {@code events_lsn} cookie, and the form back. */
final class WalPositionTests {

    @ParameterizedTest
    @CsvSource({
            "0/0, 0, 0/0",
            "0/1, 1, 0/1",
            "16/B374D848, 97500059720, 16/B374D848",
            "16/b374d848, 97500059720, 16/B374D848",
            "00000016/0000000A, 94489280522, 16/A",
            "7FFFFFFF/FFFFFFFF, 9223372036854775807, 7FFFFFFF/FFFFFFFF",
            // Past what a signed number holds: the unreached position, not a negative one.
            "80000000/0, 9223372036854775807, 7FFFFFFF/FFFFFFFF",
            "FFFFFFFF/FFFFFFFF, 9223372036854775807, 7FFFFFFF/FFFFFFFF"})
    void parsesPostgreSQLsFormAndWritesItBack(String text, long lsn, String written) {
        WalPosition position = WalPosition.parse(text).orElseThrow();
        assertThat(position.lsn()).isEqualTo(lsn);
        assertThat(position).hasToString(written);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "1", "1/", "/1", "1//2", "1/2/3", "123456789/0", "0/123456789", "0x1/2", "-1/0",
            "+1/0", "1/-0", "g/0", "0/G", "1.5/2", "1 /2", " 1/2", "1/2 ", "\"1/2\"", "%31/2", "\uFF11/2", "\u0661/2",
            "9223372036854775807"})
    void refusesAnythingElse(String text) {
        assertThat(WalPosition.parse(text)).isEmpty();
    }

    @Test
    void nullIsNoPosition() {
        assertThat(WalPosition.parse(null)).isEmpty();
    }
}
