package events;

/**
 * How many event-loop threads Reactor Netty starts. Its default is one per core, at least four, for
 * the HTTP server and again for the database driver: eight threads on two cores, which hand each
 * request between threads that wait for a core. We default each to half the cores (at least one), so
 * together they have one thread per core (issue 9: 0.79 of the CPU per GET one with one thread each,
 * against two each, on two cores). {@code -Dreactor.netty.ioWorkerCount=N} still sets it.
 *
 * <p>Reactor Netty reads the property once, when its loop resources are first created: this must run
 * before the server or the driver opens a connection.
 */
public final class EventLoopThreads {

    /** Reactor Netty's system property for the number of event-loop threads of each of its resources. */
    public static final String PROPERTY = "reactor.netty.ioWorkerCount";

    private EventLoopThreads() {
    }

    /** Sets {@link #PROPERTY} to half the cores (at least one) unless it is already set. */
    public static void defaultToHalfTheCores() {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, Integer.toString(forCores(Runtime.getRuntime().availableProcessors())));
        }
    }

    /** Threads per loop resource (the server's, the driver's) for {@code cores} cores. */
    static int forCores(int cores) {
        return Math.max(1, cores / 2);
    }
}
