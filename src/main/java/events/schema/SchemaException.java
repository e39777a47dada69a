package events.schema;

/** A mistake in the schema file; the message names the entity and field. */
public final class SchemaException extends RuntimeException {
    public SchemaException(String message) {
        super(message);
    }
}
