package events.support;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import reactor.blockhound.BlockHound;

/**
 * Installs BlockHound once for the whole test run, before any test class loads: every test that blocks
 * an event-loop thread fails. {@code BlockHound.install(...)} (not {@code builder()}) so that the
 * integrations on the class path (Reactor's non-blocking threads, Netty, Spring) are loaded.
 */
public final class BlockHoundInstaller implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        BlockHound.install(builder -> builder
                // Logback's console appender takes a lock around System.out; logging is not request work.
                .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "writeBytes")
                .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "subAppend")
                // Cancelling a Reactor timer (timeout, interval) removes it from the scheduler's queue under
                // a lock held for microseconds, as Reactor's own integration allows for offer and take.
                .allowBlockingCallsInside("java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue",
                        "remove"));
    }
}
