package events.documents;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Locale;

import com.github.f4b6a3.ulid.Ulid;

/**
 * Server-made ids: lower-case ULIDs (26 characters, time-ordered), api.md 3.2. Built from a clock and
 * a SHA1PRNG seeded once at start-up: the default NativePRNG reads /dev/urandom on every call, and
 * ulid-creator's factories take a {@code ReentrantLock} that parks an event loop under contention.
 */
final class IdGenerator {

    private static final int RANDOM_BYTES = 10;

    private final Clock clock;
    private final SecureRandom random;

    IdGenerator(Clock clock) {
        this.clock = clock;
        try {
            this.random = SecureRandom.getInstance("SHA1PRNG");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA1PRNG is part of every JRE", e);
        }
        random.nextBytes(new byte[RANDOM_BYTES]); // the one-time seeding happens here, not on a request
    }

    String next() {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return new Ulid(clock.millis(), bytes).toString().toLowerCase(Locale.ROOT);
    }
}
