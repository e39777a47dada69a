package events.documents;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** Unit tests for {@link NdjsonLines}: line ends, blank lines, buffer boundaries and the line limit. */
final class NdjsonLinesTests {

    /**
     * Input (with {@code |} between the buffers it arrives in, {@code \n} and {@code \r} escaped) → the
     * lines, as {@code number:text} or {@code number:TOO LONG length}, joined by {@code ;}.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '#', value = {
            "{}\\n{}\\n                # 1:{};2:{}",
            "{}\\n\\n{}                 # 1:{};3:{}",
            "{}\\r\\n{\"a\":1}\\r\\n    # 1:{};2:{\"a\":1}",
            "{\"a\"|:1}\\n|{\"b\":2|}    # 1:{\"a\":1};2:{\"b\":2}",
            "  \\t \\n{}\\n\\r\\n       # 2:{}",
            "\\n\\n\\n                  # ''",
            "{}|                        # 1:{}",
            "0123456789\\n{}            # 1:0123456789;2:{}",
            "01234567890\\n{}           # 1:TOO LONG 11;2:{}",
            "01234|56789|0123|4\\n{}    # 1:TOO LONG 15;2:{}",
            "0123456789\\r\\n{}         # 1:0123456789;2:{}",
            "012345678901               # 1:TOO LONG 12",
    })
    void splitsIntoNumberedLines(String input, String expected) {
        assertThat(split(input, 10)).isEqualTo(expected.equals("''") ? "" : expected);
    }

    @Test
    void aLongLineIsDroppedAsItArrivesNotHeld() {
        // 64 MiB in 1 MiB buffers through a 1 KiB limit: the splitter keeps the length only.
        Flux<DataBuffer> buffers = Flux.range(0, 64).map(i -> buffer("x".repeat(1024 * 1024)))
                .concatWith(Flux.just(buffer("\n{}\n")));
        StepVerifier.create(NdjsonLines.split(buffers, 1024))
                .assertNext(line -> {
                    assertThat(line.tooLong()).isTrue();
                    assertThat(line.length()).isEqualTo(64L * 1024 * 1024);
                    assertThat(line.number()).isEqualTo(1);
                })
                .assertNext(line -> assertThat(new String(line.bytes(), StandardCharsets.UTF_8)).isEqualTo("{}"))
                .expectComplete()
                .verify(Duration.ofSeconds(30));
    }

    @Test
    void buffersAreReadOnlyAsLinesAreTaken() {
        List<Long> requested = new ArrayList<>();
        Flux<DataBuffer> buffers = Flux.range(0, 1000).map(i -> buffer("{\"n\": " + i + "}\n"))
                .doOnRequest(requested::add);
        StepVerifier.create(NdjsonLines.split(buffers, 1024), 3)
                .expectNextCount(3)
                .thenAwait(Duration.ofMillis(50))
                .then(() -> assertThat(requested.stream().mapToLong(Long::longValue).sum())
                        .as("a few buffers ahead, not the whole input").isLessThan(10))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
    }

    private static String split(String input, int limit) {
        List<DataBuffer> buffers = new ArrayList<>();
        for (String part : input.strip().split("\\|", -1)) {
            buffers.add(buffer(part.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")));
        }
        List<String> lines = new ArrayList<>();
        NdjsonLines.split(Flux.fromIterable(buffers), limit).toIterable().forEach(line -> lines.add(line.number() + ":"
                + (line.tooLong() ? "TOO LONG " + line.length() : new String(line.bytes(), StandardCharsets.UTF_8))));
        return String.join(";", lines);
    }

    private static DataBuffer buffer(String text) {
        return DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8));
    }
}
