package events.schema;

import java.math.BigDecimal;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;

/**
 * The numbers the server stores (api.md 6): zero, or a magnitude within the normal range of a 64-bit
 * double, from 2.2250738585072014e-308 to 1.7976931348623157e308. Inside that range a number is kept
 * exactly as written, every digit (PostgreSQL's {@code numeric} inside JSONB holds it); outside it a client
 * reading the value as a double would see infinity, zero or lost digits, so it is refused, never altered.
 *
 * <p>Comparisons are on exact decimals and never expand a huge exponent: {@code 1e2147483647} costs what
 * {@code 1e3} does.
 */
final class NumberRange {

    /** The largest double, as its exact decimal value. */
    private static final BigDecimal MAX = new BigDecimal(Double.MAX_VALUE);
    /** The smallest normal double: below it, doubles lose precision and then underflow to zero. */
    private static final BigDecimal MIN_NORMAL = new BigDecimal(Double.MIN_NORMAL);

    enum Problem {
        TOO_LARGE("out of the 64-bit number range"),
        TOO_SMALL("too close to zero for a 64-bit number");

        private final String text;

        Problem(String text) {
            this.text = text;
        }

        String text() {
            return text;
        }
    }

    private NumberRange() {
    }

    /** Why {@code number} cannot be stored, or null when it can. */
    static @Nullable Problem check(JsonNode number) {
        if (number.isDouble() || number.isFloat()) { // from a mapper other than the request's
            double value = number.doubleValue();
            if (!Double.isFinite(value)) {
                return Problem.TOO_LARGE;
            }
            return value != 0 && Math.abs(value) < Double.MIN_NORMAL ? Problem.TOO_SMALL : null;
        }
        BigDecimal value = number.decimalValue();
        if (value.signum() == 0) {
            return null;
        }
        BigDecimal magnitude = value.abs();
        if (magnitude.compareTo(MAX) > 0) {
            return Problem.TOO_LARGE;
        }
        return magnitude.compareTo(MIN_NORMAL) < 0 ? Problem.TOO_SMALL : null;
    }
}
