package events.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import events.auth.Sessions;
import events.config.EventsConfig;
import events.db.DatabaseStatus;
import events.db.DocumentStore;
import events.db.ReadRouting;
import events.config.DatabaseUri;
import events.error.ApiError;
import events.error.ApiException;
import events.schema.Schema;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Metadata and administration (api.md 10). These answers are not wrapped in the envelope, as the
 * contract says.
 */
final class AdminHandler {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String INIT_PAGE = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Reinitialize the database</title></head>
            <body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
            <h1>Reinitialize the database</h1>
            <p>This drops every entity table and all sessions, then recreates them empty.
            Nothing can be recovered afterwards.</p>
            <button id="wipe">Wipe and reinitialize</button>
            <pre id="result"></pre>
            <script>
            document.getElementById('wipe').onclick = async () => {
              if (!confirm('Delete all data?')) return;
              const response = await fetch('/api/db/init', { method: 'POST', credentials: 'include',
                headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ confirmed: true }) });
              document.getElementById('result').textContent = response.status + ' ' + await response.text();
            };
            </script>
            </body></html>
            """;

    private final EventsConfig config;
    private final Schema schema;
    private final Sessions sessions;
    private final DocumentStore store;
    private final RequestBodies bodies;
    private final byte[] metadata;
    private final ObjectNode publicConfig;

    AdminHandler(EventsConfig config, Schema schema, DocumentStore store, RequestBodies bodies, JsonMapper json,
                 Sessions sessions) {
        this.config = config;
        this.schema = schema;
        this.sessions = sessions;
        this.store = store;
        this.bodies = bodies;
        ObjectNode root = NODES.objectNode();
        root.put("projectName", config.projectName());
        root.put("database", "postgresql");
        root.setAll(schema.metadata());
        this.metadata = json.writeValueAsBytes(root); // built once: the schema does not change while running
        this.publicConfig = publicConfig(config, json);
    }

    Mono<ServerResponse> metadata(ServerRequest request) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(metadata);
    }

    Mono<ServerResponse> report(ServerRequest request) {
        return store.status()
                .map(this::healthy)
                .onErrorResume(e -> Mono.just(failed(e)))
                .flatMap(body -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body));
    }

    Mono<ServerResponse> initPage(ServerRequest request) {
        return ServerResponse.ok().contentType(MediaType.TEXT_HTML).bodyValue(INIT_PAGE);
    }

    Mono<ServerResponse> init(ServerRequest request) {
        if (config.production()) {
            // Production: a live session whose role has s on every entity (401 / 403 otherwise).
            // Only a failed session check is a 401; a failure of the wipe itself (503) keeps its status.
            return sessions.session(AuthHandler.token(request))
                    .map(Optional::of)
                    .onErrorResume(ApiException.class, e -> e.error() instanceof ApiError.Unauthorized
                            ? Mono.just(Optional.empty()) : Mono.error(e))
                    .flatMap(access -> access.isEmpty() ? plain(HttpStatus.UNAUTHORIZED, "error",
                                    "Reinitializing needs a session with s rights on every entity in production")
                            : access.get().grants().superuser(schema) ? wipe(request)
                            : plain(HttpStatus.FORBIDDEN, "error", "Reinitializing needs s rights on every entity"));
        }
        return wipe(request);
    }

    private Mono<ServerResponse> wipe(ServerRequest request) {
        return bodies.node(request)
                .onErrorResume(ApiException.class, e -> Mono.just(NODES.nullNode()))
                .flatMap(body -> {
                    if (!body.isObject() || !body.path("confirmed").isBoolean() || !body.path("confirmed").asBoolean()) {
                        return plain(HttpStatus.BAD_REQUEST, "error",
                                "Send {\"confirmed\": true} to wipe and reinitialize the database");
                    }
                    return store.reinitialize()
                            .then(plain(HttpStatus.OK, "success", "Database wiped and reinitialized"));
                });
    }

    private ObjectNode healthy(DatabaseStatus status) {
        ObjectNode root = NODES.objectNode();
        root.put("database", "postgresql");
        ObjectNode report = root.putObject("report");
        report.put("status", "healthy");
        report.set("config", publicConfig);
        ObjectNode entities = report.putObject("entities");
        status.counts().forEach(entities::put);
        ObjectNode details = report.putObject("details");
        details.put("serverVersion", status.serverVersion());
        details.set("pool", pool(status.pool()));
        ObjectNode indexes = details.putObject("indexes");
        for (Map.Entry<String, List<String>> entry : status.indexes().entrySet()) {
            var names = indexes.putArray(entry.getKey());
            entry.getValue().forEach(names::add);
        }
        details.put("trigramIndexes", status.trigramAvailable());
        var replicas = details.putArray("replicas"); // db_read_uris: each one's state as the probe saw it
        for (ReadRouting.ReplicaState replica : store.readRouting().replicas()) {
            ObjectNode node = replicas.addObject();
            node.put("uri", replica.uri());
            node.put("state", replica.state());
            node.put("lagMs", replica.lagMs());
            node.put("replayLsn", replica.replayLsn());
            node.put("reads", replica.reads());
            node.put("error", replica.error());
        }
        return root;
    }

    private ObjectNode failed(Throwable error) {
        ObjectNode root = NODES.objectNode();
        root.put("database", "postgresql");
        ObjectNode report = root.putObject("report");
        report.put("status", "error");
        report.put("message", ErrorResponses.toApiError(error).entries().get(0).message());
        report.set("config", publicConfig);
        return root;
    }

    private static ObjectNode pool(DatabaseStatus.PoolState pool) {
        ObjectNode node = NODES.objectNode();
        node.put("size", pool.size());
        node.put("idle", pool.idle());
        node.put("acquired", pool.acquired());
        node.put("pending", pool.pending());
        node.put("maxSize", pool.maxSize());
        return node;
    }

    /** The effective configuration without any password. */
    private static ObjectNode publicConfig(EventsConfig config, JsonMapper json) {
        ObjectNode node = json.rebuild()
                .propertyNamingStrategy(tools.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
                .build().valueToTree(config);
        var readUris = node.putArray("db_read_uris"); // without passwords, like db_uri
        config.dbReadUris().forEach(text -> readUris.add(DatabaseUri.parse(text).toString()));
        if (!config.embedded()) {
            DatabaseUri uri = DatabaseUri.parse(config.dbUri());
            node.put("db_uri", uri.toString());
            if (uri.database() != null) {
                node.put("db_name", uri.database()); // the database in use: the URI's wins over db_name
            }
        }
        return node;
    }

    private static Mono<ServerResponse> plain(HttpStatus status, String outcome, String message) {
        ObjectNode body = NODES.objectNode();
        body.put("status", outcome);
        body.put("message", message);
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    }
}
