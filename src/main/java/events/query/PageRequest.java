package events.query;

/** The requested page: 1-based {@code number} and {@code size} (1–1000), api.md 5.1. */
public record PageRequest(int number, int size) {

    public static final int DEFAULT_SIZE = 25;
    public static final int MAX_SIZE = 1000;

    public PageRequest {
        if (number < 1) {
            throw new IllegalArgumentException("number must be >= 1");
        }
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("size must be 1-" + MAX_SIZE);
        }
    }


    public long offset() {
        return (long) (number - 1) * size;
    }
}
