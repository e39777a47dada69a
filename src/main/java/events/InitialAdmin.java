package events;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import events.config.StartupException;
import events.db.DocumentStore;
import events.db.ReadRouting;
import events.documents.DocumentService;
import events.error.ApiError;
import events.error.ApiException;
import events.query.ListQuery;
import events.query.PageRequest;
import events.schema.Entity;
import events.schema.Field;
import events.schema.FieldType;
import events.schema.Schema;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The first run (api.md 9.3): in {@code development}, when no login principal exists at start, creates
 * the role {@code admin} ({@code {"*": "s"}}) and the principal {@code admin} on the first principal
 * entity whose only required fields are its login, its password and its role key ({@code Auth} in the
 * Events schema), through the API's validation and hashing. The password is {@code EVENTS_ADMIN_PASSWORD}
 * when set, else a random one, printed once in the start-up log and written to
 * {@value #PASSWORD_FILE} in the data directory, readable by its owner only.
 *
 * <p>Both documents get the fixed id {@code admin}: several processes starting together on an empty
 * database all try, the primary key lets exactly one principal in, and only the process whose insert
 * succeeded prints or writes a password. Blocking: for start-up only.
 */
final class InitialAdmin {

    static final String PASSWORD_FILE = "initial-admin-password";
    static final String ADMIN = "admin";

    private static final Logger log = LoggerFactory.getLogger(InitialAdmin.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final int PASSWORD_BYTES = 18; // 24 characters of base64url, 144 bits

    private final Schema schema;
    private final DocumentStore store;
    private final DocumentService documents;

    InitialAdmin(Schema schema, DocumentStore store, DocumentService documents) {
        this.schema = schema;
        this.store = store;
        this.documents = documents;
    }

    /** What the first run made: the principal entity, and where the random password was written (if it was). */
    record Created(Entity principal, @Nullable Path passwordFile) {
    }

    /**
     * Creates the administrator when the schema has login principals but none exists yet.
     * {@code presetPassword} is {@code EVENTS_ADMIN_PASSWORD} (null for a random one); {@code baseUrl}
     * (the server's) is shown in the log line. A preset password the schema refuses stops the start.
     */
    Optional<Created> createIfNone(@Nullable String presetPassword, Path dataDirectory, String baseUrl) {
        List<Entity> principals = schema.entities().stream().filter(e -> e.login() != null).toList();
        if (principals.isEmpty() || principals.stream().anyMatch(this::hasDocuments)) {
            return Optional.empty();
        }
        Optional<Entity> fitting = principalEntity(schema);
        if (fitting.isEmpty()) {
            log.warn("No principal exists yet, and no principal entity has only its login, password and role key "
                    + "required: create the first one with  java -jar events-server.jar create <Entity> '<json>'");
            return Optional.empty();
        }
        Entity principal = fitting.get();
        Entity.LoginService login = principal.login();
        Entity role = schema.entity(login.roleEntity()).orElseThrow();
        Optional<Boolean> roleCreated = ensureRole(role);
        if (roleCreated.isEmpty()) {
            return Optional.empty();
        }
        String password = presetPassword != null ? presetPassword : randomPassword();
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("id", ADMIN);
        body.put(login.loginField(), ADMIN);
        body.put(login.passwordField(), password);
        body.put(principal.roleKey().orElseThrow().name(), ADMIN);
        try {
            documents.create(principal, body).block(TIMEOUT);
        } catch (ApiException e) {
            if (e.error() instanceof ApiError.DuplicateKey) {
                log.info("The first-run administrator was created by another server process starting at the same time");
                return Optional.empty();
            }
            String reasons = reasons(e);
            if (presetPassword != null) {
                throw new StartupException("Cannot create the first-run administrator with EVENTS_ADMIN_PASSWORD: "
                        + reasons);
            }
            log.warn("Cannot create the first-run administrator {} {}: {}", principal.name(), ADMIN, reasons);
            return Optional.empty();
        }
        String where = "POST " + baseUrl + "/api/" + login.route();
        String made = (roleCreated.get() ? "created role '" + ADMIN + "' ({\"*\": \"s\"}: every right on every entity) and "
                : "kept the existing role '" + ADMIN + "' and created ") + principal.name() + " '" + ADMIN + "'";
        if (presetPassword != null) {
            log.warn("First run: {} with the password from EVENTS_ADMIN_PASSWORD; log in at {}", made, where);
            return Optional.of(new Created(principal, null));
        }
        Path file = writePasswordFile(dataDirectory, password);
        log.warn("First run: {}", made);
        log.warn("First run: log in with login '{}' and password '{}' at {}", ADMIN, password, where);
        log.warn("First run: the password is shown only this once; {}. Change it after logging in (PUT /api/{}/{}).",
                file == null ? "it could not be saved to a file" : "it is also in " + file.toAbsolutePath()
                        + " (readable by its owner only)", principal.name(), ADMIN);
        return Optional.of(new Created(principal, file));
    }

    /**
     * The first principal entity whose only required fields are its login, its password and its role
     * key (a foreign key to its login service's role entity), in schema order.
     */
    static Optional<Entity> principalEntity(Schema schema) {
        for (Entity entity : schema.entities()) {
            Entity.LoginService login = entity.login();
            if (login == null || login.roleEntity() == null || entity.roleKey().isEmpty()
                    || schema.entity(login.roleEntity()).isEmpty()) {
                continue;
            }
            Set<String> required = entity.fields().stream().filter(Field::required).map(Field::name)
                    .collect(Collectors.toSet());
            if (required.equals(Set.of(login.loginField(), login.passwordField(), entity.roleKey().get().name()))) {
                return Optional.of(entity);
            }
        }
        return Optional.empty();
    }

    private boolean hasDocuments(Entity entity) {
        ListQuery one = new ListQuery(new PageRequest(1, 1), true, List.of(), List.of(), List.of());
        // On the primary: a read replica may not even have replayed the tables yet.
        return !store.list(entity, one).contextWrite(context -> context.put(ReadRouting.PRIMARY_ONLY, Boolean.TRUE))
                .blockOptional(TIMEOUT).map(page -> page.documents().isEmpty()).orElse(true);
    }

    /**
     * The role {@code admin}: kept as it is when it exists (an operator made it), else created with
     * {@code {"*": "s"}} and {@code admin} in every other required text field. Whether it was created;
     * empty when it cannot be.
     */
    private Optional<Boolean> ensureRole(Entity role) {
        if (store.find(role, ADMIN).blockOptional(TIMEOUT).isPresent()) {
            return Optional.of(false);
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("id", ADMIN);
        body.putObject("permissions").put("*", "s");
        for (Field field : role.fields()) {
            if (!field.required() || field.name().equals("permissions")) {
                continue;
            }
            if (field.type() != FieldType.STRING || field.hasEnum()) {
                log.warn("Cannot create the first-run role {} {}: its required field '{}' is not plain text",
                        role.name(), ADMIN, field.name());
                return Optional.empty();
            }
            body.put(field.name(), ADMIN);
        }
        try {
            documents.create(role, body).block(TIMEOUT);
            return Optional.of(true);
        } catch (ApiException e) {
            if (e.error() instanceof ApiError.DuplicateKey && store.find(role, ADMIN).blockOptional(TIMEOUT).isPresent()) {
                return Optional.of(true); // made by another process starting at the same time
            }
            log.warn("Cannot create the first-run role {} {}: {}", role.name(), ADMIN, reasons(e));
            return Optional.empty();
        }
    }

    /** Writes the password where only its owner may read it (POSIX 0600 from the start); null if it cannot. */
    static @Nullable Path writePasswordFile(Path dataDirectory, String password) {
        Path file = dataDirectory.resolve(PASSWORD_FILE);
        Path temporary = dataDirectory.resolve(PASSWORD_FILE + ".tmp");
        try {
            Files.createDirectories(dataDirectory);
            Files.deleteIfExists(temporary);
            try {
                Files.createFile(temporary, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(temporary);
                temporary.toFile().setReadable(false, false);
                temporary.toFile().setWritable(false, false);
                temporary.toFile().setReadable(true, true);
                temporary.toFile().setWritable(true, true);
            }
            Files.writeString(temporary, password + "\n", StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException | RuntimeException e) {
            log.warn("Could not write {}: {}", file.toAbsolutePath(), e.toString());
            return null;
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[PASSWORD_BYTES];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String reasons(ApiException e) {
        return e.error().entries().stream()
                .map(entry -> (entry.field() == null ? "" : entry.field() + ": ") + entry.message())
                .collect(Collectors.joining("; "));
    }
}
