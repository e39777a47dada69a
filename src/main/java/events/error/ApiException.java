package events.error;

import java.util.Objects;

/** Carries an {@link ApiError} through a reactive chain: {@code Mono.error(new ApiException(error))}. */
public final class ApiException extends RuntimeException {

    private final ApiError error;

    public ApiException(ApiError error) {
        super(error.type() + ": " + error.entries().get(0).message(), null, false, false);
        this.error = Objects.requireNonNull(error, "error must not be null");
    }

    public ApiError error() {
        return error;
    }
}
