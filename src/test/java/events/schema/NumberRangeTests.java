package events.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import tools.jackson.databind.node.JsonNodeFactory;

/** Unit tests for {@link NumberRange}. */
final class NumberRangeTests {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @ParameterizedTest
    @CsvSource(nullValues = "ok", value = {
        "0, ok", "-0.000, ok", "0E-16000, ok", "1, ok", "-1.5, ok", "10000000.0000000001, ok",
        "1.7976931348623157E308, ok", "-1.7976931348623157E308, ok", "2.2250738585072014E-308, ok",
        "1.7976931348623159E308, TOO_LARGE", "1E400, TOO_LARGE", "-1E400, TOO_LARGE", "1E+2147483647, TOO_LARGE",
        "2.2250738585072013E-308, TOO_SMALL", "4.9E-324, TOO_SMALL", "-1E-400, TOO_SMALL", "1E-2147483647, TOO_SMALL",
    })
    void checksExactDecimals(String number, NumberRange.Problem problem) {
        assertThat(NumberRange.check(NODES.numberNode(new BigDecimal(number)))).isEqualTo(problem);
    }

    @Test
    void checksIntegersAndDoublesToo() {
        assertThat(NumberRange.check(NODES.numberNode(new BigDecimal("1e309").toBigInteger()))).isEqualTo(NumberRange.Problem.TOO_LARGE);
        assertThat(NumberRange.check(NODES.numberNode(Long.MAX_VALUE))).isNull();
        assertThat(NumberRange.check(NODES.numberNode(Double.POSITIVE_INFINITY))).isEqualTo(NumberRange.Problem.TOO_LARGE);
        assertThat(NumberRange.check(NODES.numberNode(Double.NaN))).isEqualTo(NumberRange.Problem.TOO_LARGE);
        assertThat(NumberRange.check(NODES.numberNode(Double.MIN_VALUE))).isEqualTo(NumberRange.Problem.TOO_SMALL);
        assertThat(NumberRange.check(NODES.numberNode(0.1))).isNull();
    }
}
