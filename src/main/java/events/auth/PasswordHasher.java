package events.auth;

import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Slow salted hashes (bcrypt) for secret fields: computed on {@code boundedElastic}, never on an event
 * loop, since one hash costs tens of milliseconds of CPU by design.
 */
public final class PasswordHasher {

    private final BCryptPasswordEncoder encoder;

    public PasswordHasher(int strength) {
        this.encoder = new BCryptPasswordEncoder(strength);
    }

    public Mono<String> hash(String secret) {
        return Mono.fromCallable(() -> encoder.encode(secret)).subscribeOn(Schedulers.boundedElastic());
    }

    public Mono<Boolean> matches(String secret, String hash) {
        return Mono.fromCallable(() -> hash != null && encoder.matches(secret, hash))
                .subscribeOn(Schedulers.boundedElastic());
    }
}
