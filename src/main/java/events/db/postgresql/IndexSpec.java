package events.db.postgresql;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * One index the schema asks for. The name carries a hash of the definition, so a changed definition
 * (say, {@code case_sensitive} toggled) is a new index and the old one is dropped at start-up.
 */
record IndexSpec(String name, String table, boolean unique, String method, String expressions) {

    /** Every index this server manages starts with this, so start-up can drop the ones no longer wanted. */
    static final String PREFIX = "ev_";
    private static final int MAX_IDENTIFIER = 63;

    IndexSpec {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(table, "table must not be null");
        Objects.requireNonNull(method, "method must not be null");
        Objects.requireNonNull(expressions, "expressions must not be null");
    }

    static IndexSpec of(String entity, String label, boolean unique, String method, String expressions) {
        String definition = (unique ? "unique " : "") + method + " " + expressions;
        String hash = sha256(definition).substring(0, 8);
        String readable = (PREFIX + entity + "_" + label).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        int room = MAX_IDENTIFIER - hash.length() - 1;
        if (readable.length() > room) {
            readable = readable.substring(0, room);
        }
        return new IndexSpec(readable + "_" + hash, Sql.table(entity), unique, method, expressions);
    }

    String createSql() {
        return "CREATE " + (unique ? "UNIQUE " : "") + "INDEX IF NOT EXISTS " + Sql.quoteIdent(name) + " ON " + table
                + " USING " + method + " (" + expressions + ")";
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
