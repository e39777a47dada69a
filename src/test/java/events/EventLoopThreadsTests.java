package events;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reactor Netty's event-loop threads: half the cores each for the server and the driver, unless set. */
final class EventLoopThreadsTests {

    @Test
    void halfTheCoresAndAtLeastOne() {
        assertThat(EventLoopThreads.forCores(1)).isEqualTo(1);
        assertThat(EventLoopThreads.forCores(2)).isEqualTo(1);
        assertThat(EventLoopThreads.forCores(3)).isEqualTo(1);
        assertThat(EventLoopThreads.forCores(4)).isEqualTo(2);
        assertThat(EventLoopThreads.forCores(16)).isEqualTo(8);
    }

    @Test
    void aValueGivenOnTheCommandLineStays() {
        String before = System.getProperty(EventLoopThreads.PROPERTY);
        try {
            System.setProperty(EventLoopThreads.PROPERTY, "3");
            EventLoopThreads.defaultToHalfTheCores();
            assertThat(System.getProperty(EventLoopThreads.PROPERTY)).isEqualTo("3");

            System.clearProperty(EventLoopThreads.PROPERTY);
            EventLoopThreads.defaultToHalfTheCores();
            assertThat(System.getProperty(EventLoopThreads.PROPERTY))
                    .isEqualTo(Integer.toString(EventLoopThreads.forCores(Runtime.getRuntime().availableProcessors())));
        } finally {
            if (before == null) {
                System.clearProperty(EventLoopThreads.PROPERTY);
            } else {
                System.setProperty(EventLoopThreads.PROPERTY, before);
            }
        }
    }
}
