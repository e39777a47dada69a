package events.documents;

import java.util.Objects;
import java.util.Set;

/**
 * A parsed {@code If-Match} or {@code If-None-Match} header (RFC 9110 13.1): {@code *}, or entity tags,
 * each kept as its quoted opaque part ({@code "17"}) and split by strength. Document versions are sent as
 * strong tags ({@link #etag}).
 */
public record EntityTags(boolean any, Set<String> strong, Set<String> weak) {

    /** {@code *}: any existing version. */
    public static final EntityTags ANY = new EntityTags(true, Set.of(), Set.of());

    public EntityTags {
        strong = Set.copyOf(strong);
        weak = Set.copyOf(weak);
    }

    /** The strong entity tag of a version: its decimal digits in double quotes. */
    public static String etag(long version) {
        return "\"" + version + "\"";
    }

    /** {@code If-Match}: the strong comparison, so a weak tag never matches. */
    public boolean matches(long version) {
        return any || strong.contains(etag(version));
    }

    /** {@code If-None-Match}: the weak comparison, so {@code W/"17"} matches {@code "17"}. */
    public boolean matchesWeakly(String etag) {
        Objects.requireNonNull(etag, "etag must not be null");
        return any || strong.contains(etag) || weak.contains(etag);
    }
}
