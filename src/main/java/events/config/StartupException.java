package events.config;

/**
 * An expected start-up mistake (bad config, schema or database): the process prints the message as one
 * line and exits non-zero, without a stack trace.
 */
public final class StartupException extends RuntimeException {
    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
