package events.documents;

import java.util.Locale;

/** Ids as they arrive in paths: lower-cased before lookup (api.md 3.2). */
final class Ids {

    private Ids() {
    }

    static String fromPath(String pathId) {
        return pathId.toLowerCase(Locale.ROOT);
    }
}
