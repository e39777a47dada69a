package events;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The progress line of the {@code import} and {@code export} commands (api.md 12.3): documents so far,
 * documents per second, time elapsed and, when the size of the work is known, the percentage done and
 * the time left. On a terminal one line is redrawn in place four times a second; elsewhere (a log, a
 * pipe) a plain line is written every {@value #PLAIN_SECONDS} seconds. A last line is written at the end
 * in both cases. Written to standard error, so standard output stays the command's data.
 *
 * <p>Example: {@code export Account: 45,000 documents, 22,500/s, 0:02 elapsed, 45%, 0:02 left}.
 */
final class Progress implements AutoCloseable {

    private static final long TERMINAL_MILLIS = 250;
    private static final long PLAIN_SECONDS = 5;

    private final String label;
    private final PrintStream out;
    private final boolean terminal;
    private final long size;
    private final LongSupplier nanoClock;
    private final long started;
    private volatile long documents;
    private volatile long done;
    private ScheduledExecutorService timer;
    private int shown;

    /**
     * @param size how much work there is, in the unit of {@link #done} (bytes of a file, documents of an
     *             export); negative when unknown
     */
    Progress(String label, PrintStream out, boolean terminal, long size, LongSupplier nanoClock) {
        this.label = label;
        this.out = out;
        this.terminal = terminal;
        this.size = size;
        this.nanoClock = nanoClock;
        this.started = nanoClock.getAsLong();
    }

    /**
     * A progress line on {@code out} that starts drawing now; redrawn in place when {@code out} is standard
     * error and the JVM has a console (a terminal).
     */
    static Progress start(String label, long size, PrintStream out) {
        boolean terminal = out == System.err && System.console() != null;
        Progress progress = new Progress(label, out, terminal, size, System::nanoTime);
        progress.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "progress");
            thread.setDaemon(true);
            return thread;
        });
        long every = progress.terminal ? TERMINAL_MILLIS : PLAIN_SECONDS * 1000;
        progress.timer.scheduleAtFixedRate(progress::draw, every, every, TimeUnit.MILLISECONDS);
        return progress;
    }

    /** Documents handled so far. */
    void documents(long count) {
        documents = count;
    }

    /** Work done so far, in the unit of the size (see the constructor). */
    void done(long amount) {
        done = amount;
    }

    /** The line as it reads after {@code elapsedNanos}. */
    String line(long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        long count = documents;
        StringBuilder line = new StringBuilder(label).append(": ")
                .append(String.format(Locale.ROOT, "%,d", count)).append(count == 1 ? " document, " : " documents, ")
                .append(String.format(Locale.ROOT, "%,d", seconds > 0 ? Math.round(count / seconds) : 0)).append("/s, ")
                .append(clock(elapsedNanos)).append(" elapsed");
        if (size >= 0) {
            long amount = Math.min(done, size);
            long percent = size == 0 ? 100 : amount * 100 / size;
            line.append(", ").append(percent).append('%');
            if (amount > 0 && amount < size) {
                line.append(", ").append(clock((long) (elapsedNanos * ((double) (size - amount) / amount)))).append(" left");
            }
        }
        return line.toString();
    }

    private synchronized void draw() {
        String line = line(nanoClock.getAsLong() - started);
        if (terminal) {
            // Back to the start of the line; spaces wipe what a longer line left.
            out.print("\r" + line + " ".repeat(Math.max(0, shown - line.length())));
            shown = line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Stops drawing and writes the last line. */
    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        draw();
        if (terminal) {
            out.println();
            out.flush();
        }
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    static String clock(long nanos) {
        Duration duration = Duration.ofNanos(nanos);
        long hours = duration.toHours();
        return hours > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", hours, duration.toMinutesPart(), duration.toSecondsPart())
                : String.format(Locale.ROOT, "%d:%02d", duration.toMinutes(), duration.toSecondsPart());
    }
}
