package events.documents;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import events.auth.PasswordHasher;
import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.db.DocumentStore;
import events.db.postgresql.PostgreSQLCore;
import events.db.postgresql.PostgreSQLDocuments;
import events.query.Expansion;
import events.query.ListQuery;
import events.query.PageRequest;
import events.schema.DocumentValidator;
import events.schema.Entity;
import events.schema.Schema;
import events.schema.SchemaLoader;
import events.support.TestDatabase;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The document service on a real PostgreSQL, with the store's calls counted: expansions and read
 * checks cost one query per referenced entity for a whole page, never one per document (api.md 5.4).
 */
final class DocumentServiceIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static PostgreSQLCore core;
    private static Schema schema;
    private static DocumentStore store;
    private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    @BeforeAll
    static void connect() throws IOException {
        EventsConfig config = new ConfigLoader().load(null,
                Map.of("EVENTS_DB_NAME", "events_it_service_" + ProcessHandle.current().pid()));
        try (InputStream in = DocumentServiceIntegrationTests.class.getResourceAsStream("/events-schema.yaml")) {
            schema = new SchemaLoader().load(new String(in.readAllBytes(), StandardCharsets.UTF_8), null);
        }
        core = PostgreSQLCore.connect(TestDatabase.uri(), config);
        PostgreSQLDocuments real = new PostgreSQLDocuments(schema, core, false, JSON);
        real.migrate(Duration.ofMinutes(2));
        store = (DocumentStore) Proxy.newProxyInstance(DocumentStore.class.getClassLoader(),
                new Class<?>[] {DocumentStore.class}, (proxy, method, args) -> {
                    String key = method.getName() + (args != null && args.length > 0 && args[0] instanceof Entity e
                            ? ":" + e.name() : "");
                    calls.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @AfterAll
    static void close() {
        core.close();
    }

    @Test
    void aPageWithExpansionsQueriesEachReferencedEntityOnce() {
        DocumentService service = new DocumentService(schema, store, new DocumentValidator(), new PasswordHasher(4),
                ReadChecks.MULTIPLE, Clock.systemUTC());
        Entity account = schema.entity("Account").orElseThrow();
        Entity role = schema.entity("Role").orElseThrow();
        Entity user = schema.entity("User").orElseThrow();
        Flux.range(0, 5)
                .concatMap(i -> service.create(account, object("{\"id\": \"acc-" + i + "\", \"name\": \"Account " + i + "\"}")))
                .then(service.create(role, object("{\"id\": \"role-1\", \"role\": \"r\", \"permissions\": {}}")))
                .thenMany(Flux.range(0, 30).concatMap(i -> service.create(user, object("{\"username\": \"user" + i
                        + "\", \"email\": \"u" + i + "@example.com\", \"password\": \"s3cret-pass\", \"firstName\": "
                        + "\"Fir\", \"lastName\": \"Las\", \"isAccountOwner\": true, \"accountId\": \"acc-" + (i % 5)
                        + "\", \"roleId\": \"role-1\"}"))))
                .then()
                .as(StepVerifier::create)
                .verifyComplete();
        calls.clear();
        ListQuery query = new ListQuery(new PageRequest(1, 25), true, List.of(), List.of(),
                List.of(new Expansion(account, List.of(account.field("name").orElseThrow()))));
        service.list(user, query)
                .as(StepVerifier::create)
                .assertNext(outcome -> {
                    assertThat(outcome.data().size()).isEqualTo(25);
                    outcome.data().forEach(d -> assertThat(d.path("account").path("exists").asBoolean()).isTrue());
                    outcome.data().forEach(d -> assertThat(d.path("role").path("exists").asBoolean()).isTrue());
                })
                .verifyComplete();
        assertThat(calls).containsOnlyKeys("list:User", "findMany:Account", "findMany:Role");
        assertThat(calls.get("findMany:Account").get()).isEqualTo(1);
        assertThat(calls.get("findMany:Role").get()).isEqualTo(1);
    }

    private static ObjectNode object(String json) {
        return (ObjectNode) JSON.readTree(json);
    }
}
