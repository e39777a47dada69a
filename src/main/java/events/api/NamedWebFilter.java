package events.api;

import org.springframework.web.server.WebFilter;

/**
 * A filter of the server's, named by its class once. Spring's filter chain names a checkpoint after every
 * filter it calls, on every request, with the filter's {@code toString()}: {@code Object}'s prints an
 * identity hash each time.
 */
abstract class NamedWebFilter implements WebFilter {

    private final String name = getClass().getSimpleName();

    @Override
    public final String toString() {
        return name;
    }
}
