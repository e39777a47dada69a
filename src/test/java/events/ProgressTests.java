package events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** Unit tests for {@link Progress}: the line's parts, with and without a known size, and both outputs. */
final class ProgressTests {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void aKnownSizeAddsThePercentageAndTheTimeLeft() {
        Progress progress = new Progress("import Account", new PrintStream(new ByteArrayOutputStream()), false, 1000,
                () -> 0);
        progress.documents(45_000);
        progress.done(250);
        assertThat(progress.line(15 * SECOND))
                .isEqualTo("import Account: 45,000 documents, 3,000/s, 0:15 elapsed, 25%, 0:45 left");
        progress.done(1000);
        assertThat(progress.line(61 * SECOND)).isEqualTo("import Account: 45,000 documents, 738/s, 1:01 elapsed, 100%");
    }

    @Test
    void anUnknownSizeShowsCountRateAndTimeOnly() {
        Progress progress = new Progress("import User", new PrintStream(new ByteArrayOutputStream()), false, -1, () -> 0);
        progress.documents(1);
        assertThat(progress.line(0)).isEqualTo("import User: 1 document, 0/s, 0:00 elapsed");
        assertThat(Progress.clock(3725 * SECOND)).isEqualTo("1:02:05");
    }

    @Test
    void aTerminalRedrawsOneLineAndOtherOutputsGetPlainLines() {
        AtomicLong now = new AtomicLong();
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        Progress drawn = new Progress("export Url", new PrintStream(terminal, true, StandardCharsets.UTF_8), true, 10,
                now::get);
        drawn.documents(10);
        drawn.done(10);
        now.set(2 * SECOND);
        drawn.close();
        assertThat(terminal.toString(StandardCharsets.UTF_8))
                .isEqualTo("\rexport Url: 10 documents, 5/s, 0:02 elapsed, 100%" + System.lineSeparator());

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Progress plain = new Progress("export Url", new PrintStream(log, true, StandardCharsets.UTF_8), false, -1, now::get);
        plain.close();
        assertThat(log.toString(StandardCharsets.UTF_8)).isEqualTo("export Url: 0 documents, 0/s, 0:00 elapsed"
                + System.lineSeparator());
    }
}
