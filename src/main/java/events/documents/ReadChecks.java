package events.documents;

import java.util.Locale;

/** The {@code validation} setting (api.md 8.3): which reads re-check stored documents. */
public enum ReadChecks {
    /** Reads return what is stored. */
    NONE,
    /** GET one re-checks the document and its foreign keys. */
    SINGLE,
    /** GET one and every document of a list page. */
    MULTIPLE;

    public static ReadChecks of(String setting) {
        return valueOf(setting.toUpperCase(Locale.ROOT));
    }
}
