package events.api;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import events.config.EventsConfig;
import events.schema.Entity;
import events.schema.Field;
import events.schema.Schema;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAPI 3.1 description of this server (api.md 15), built once at start-up from the loaded schema:
 * one JSON Schema per entity (types, formats, required, lengths, patterns, enums, bounds, read-only
 * {@code id} and automatic fields, write-only secrets), the envelope, each route with its parameters,
 * bodies and error statuses, and the session cookie.
 *
 * <p>Each route is described in one method, named after it; {@link #paths} lists them in the order of
 * {@link Routes}. A new route is a new method and one line there.
 *
 * <p>Component names: an entity's schema is its own name ({@code User}); everything else has a dot in
 * its name ({@code User.Page}, {@code Api.Pagination}), which no entity name can have, so the two never
 * collide.
 */
final class OpenApiDocument {

    static final String OPENAPI_VERSION = "3.1.0";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String SECURITY_SCHEME = "sessionCookie";
    private static final String JSON = "application/json";
    private static final String NDJSON = "application/x-ndjson";
    private static final List<String> ERROR_TYPES = List.of("bad_request", "unauthorized", "forbidden", "not_found",
            "method_not_allowed", "conflict", "precondition_failed", "payload_too_large", "unsupported_media_type",
            "validation_failed", "internal_error", "unavailable");

    private final Schema schema;
    private final EventsConfig config;
    private final boolean sessions;
    private final ObjectNode paths = NODES.objectNode();

    private OpenApiDocument(Schema schema, EventsConfig config, boolean sessions) {
        this.schema = schema;
        this.config = config;
        this.sessions = sessions;
    }

    /** The document; {@code sessions}: whether entity routes need a login (the schema declares one). */
    static ObjectNode of(Schema schema, EventsConfig config, boolean sessions) {
        return new OpenApiDocument(schema, config, sessions).build();
    }

    private ObjectNode build() {
        ObjectNode root = NODES.objectNode();
        root.put("openapi", OPENAPI_VERSION);
        ObjectNode info = root.putObject("info");
        info.put("title", config.projectName() + " API");
        info.put("version", Optional.ofNullable(OpenApiDocument.class.getPackage().getImplementationVersion())
                .orElse("development"));
        info.put("description", "Generated from the schema '" + schema.project() + "' when the server started. "
                + "Every `/api/` answer is JSON in the envelope `{data, notifications, status, pagination}`; entity "
                + "names in paths and query parameter names are case-insensitive. Every response carries "
                + "`X-Request-Id`." + (config.dbReadUris().isEmpty() ? "" : " With read replicas, every answer to a "
                + "POST, PUT, PATCH or DELETE sets the `" + ReadYourWritesFilter.COOKIE + "` cookie (the primary's WAL "
                + "position after the write; HttpOnly, SameSite=Lax, for `read_your_writes_ms`): a request that sends "
                + "it back reads from a replica only once that replica has replayed the write, on any server process."));
        root.set("tags", tags());
        paths();
        root.set("paths", paths);
        root.set("components", components());
        return root;
    }

    // ---- Routes, in the order of Routes ----

    private void paths() {
        for (Entity principal : schema.entities()) {
            if (principal.login() != null) {
                add("/api/" + principal.login().route(), "post", login(principal));
            }
        }
        add("/api/logout", "post", logout());
        add("/api/refresh", "post", refresh());
        add("/api/session", "get", session());
        add("/api/metadata", "get", metadata());
        add("/api/db/report", "get", databaseReport());
        add("/api/db/init", "get", databaseInitPage());
        add("/api/db/init", "post", databaseInit());
        add("/api/openapi.json", "get", openApi("openApi"));
        add("/openapi.json", "get", openApi("openApiAlias"));
        add("/docs", "get", docs());
        add("/api/_batch", "post", batch());
        for (Entity entity : schema.entities()) {
            String list = "/api/" + entity.name();
            String one = list + "/{id}";
            if (entity.allows('r')) {
                add(list, "get", list(entity));
            }
            if (entity.allows('c')) {
                add(list, "post", create(entity));
                add(list + "/_import", "post", importLines(entity));
            }
            if (entity.allows('r')) {
                add(one, "get", read(entity));
            }
            if (entity.allows('u')) {
                add(one, "put", replace(entity));
                add(one, "patch", patch(entity));
            }
            if (entity.allows('d')) {
                add(one, "delete", delete(entity));
            }
        }
    }

    /** {@code GET /api/{E}} (api.md 5, 11): a page in the envelope, or an NDJSON stream. */
    private ObjectNode list(Entity entity) {
        ObjectNode operation = operation(entity.name(), "list" + entity.name(), "List " + entity.name() + " documents",
                "A page of documents in the envelope, or with `Accept: " + NDJSON + "` every matching document, "
                        + "one per line, without the envelope.");
        ArrayNode parameters = operation.putArray("parameters");
        for (String name : List.of("page", "pageSize", "sort", "filter", "full_match", "view", "count", "after",
                "search", "no_consistency")) {
            parameters.add(ref("parameters", name));
        }
        ObjectNode ok = response(operation, "200", "The page (or the stream)", entity.name() + ".Page");
        ok.withObjectProperty("content").putObject(NDJSON).set("schema", ref("schemas", entity.name()));
        errors(operation, true, "400", "404", "500", "503");
        return operation;
    }

    /** {@code POST /api/{E}} (api.md 4). */
    private ObjectNode create(Entity entity) {
        ObjectNode operation = operation(entity.name(), "create" + entity.name(), "Create " + article(entity.name()),
                "Validates the body, fills automatic fields and defaults, checks foreign and unique keys, stores. "
                        + "A client may send `id`; otherwise the server makes one. A JSON array of 1-1000 "
                        + "documents creates them all or none (api.md 12.1): `data` is then the array in request "
                        + "order, and errors are keyed `[i]`.");
        ObjectNode schemaOf = operation.putObject("requestBody").put("required", true).putObject("content")
                .putObject(JSON).putObject("schema");
        ArrayNode oneOf = schemaOf.putArray("oneOf");
        oneOf.add(ref("schemas", entity.name()));
        oneOf.addObject().put("type", "array").put("minItems", 1).put("maxItems", 1000)
                .set("items", ref("schemas", entity.name()));
        ObjectNode created = response(operation, "201", "The stored document (or documents), as a later GET returns "
                + "it", null);
        ObjectNode data = NODES.objectNode();
        data.putArray("oneOf").add(ref("schemas", entity.name())).addObject().put("type", "array")
                .set("items", ref("schemas", entity.name()));
        created.putObject("content").putObject(JSON).set("schema", envelope(data, false));
        etag(created);
        errors(operation, true, "400", "409", "413", "415", "422", "500", "503");
        return operation;
    }

    /** {@code GET /api/{E}/{id}} (api.md 4, 5.4). */
    private ObjectNode read(Entity entity) {
        ObjectNode operation = operation(entity.name(), "read" + entity.name(), "Read one " + entity.name(), null);
        ArrayNode parameters = operation.putArray("parameters");
        parameters.add(ref("parameters", "id"));
        parameters.add(ref("parameters", "view"));
        parameters.add(header("If-None-Match", "The ETag of a version the client has: 304 while it is current"));
        etag(response(operation, "200", "The document", entity.name() + ".Result"));
        etag(response(operation, "304", "The version named by If-None-Match is current: no body", null));
        errors(operation, true, "400", "404", "500", "503");
        return operation;
    }

    /** {@code PUT /api/{E}/{id}} (api.md 4): replaces, never creates. */
    private ObjectNode replace(Entity entity) {
        ObjectNode operation = operation(entity.name(), "replace" + entity.name(), "Replace " + article(entity.name()),
                "Optional fields the body omits are removed; automatic creation times and omitted secrets keep "
                        + "their stored values; the path id wins over a body `id`.");
        operation.putArray("parameters").add(ref("parameters", "id")).add(ifMatch());
        body(operation, entity.name());
        etag(response(operation, "200", "The stored document", entity.name() + ".Result"));
        errors(operation, true, "400", "404", "409", "412", "413", "415", "422", "500", "503");
        return operation;
    }

    /** {@code PATCH /api/{E}/{id}} (api.md 13): a JSON merge patch (RFC 7396). */
    private ObjectNode patch(Entity entity) {
        ObjectNode operation = operation(entity.name(), "patch" + entity.name(), "Patch " + article(entity.name()),
                "Members present replace stored values, `null` removes a field, JSON-typed fields merge, absent "
                        + "members (secrets too) are kept; the result is validated as a PUT, in one transaction "
                        + "holding the row lock. `application/json` is taken as merge patch too; "
                        + "`application/json-patch+json` is a 415.");
        operation.putArray("parameters").add(ref("parameters", "id")).add(ifMatch());
        ObjectNode body = operation.putObject("requestBody").put("required", true).putObject("content");
        body.putObject("application/merge-patch+json").putObject("schema").put("type", "object");
        body.putObject(JSON).putObject("schema").put("type", "object");
        etag(response(operation, "200", "The stored document", entity.name() + ".Result"));
        errors(operation, true, "400", "404", "409", "412", "413", "415", "422", "500", "503");
        return operation;
    }

    /** {@code POST /api/{E}/_import} (api.md 12.2): NDJSON lines, batched. */
    private ObjectNode importLines(Entity entity) {
        ObjectNode operation = operation(entity.name(), "import" + entity.name(), "Import " + entity.name()
                        + " documents from NDJSON",
                "One JSON object per line, any number of lines, read as a stream; batches of up to 1000 in their "
                        + "own transactions (`mode=skip`, the default: bad lines are reported and skipped) or one "
                        + "transaction (`mode=atomic`). With `Accept: " + NDJSON + "` the answer is one progress line "
                        + "per batch and the summary last. Needs `c` on the entity.");
        operation.putArray("parameters").addObject().put("name", "mode").put("in", "query")
                .put("description", "skip (default) or atomic").putObject("schema").put("type", "string")
                .putArray("enum").add("skip").add("atomic");
        operation.putObject("requestBody").put("required", true).putObject("content").putObject(NDJSON)
                .putObject("schema").put("type", "string");
        ObjectNode counts = NODES.objectNode().put("type", "object");
        ObjectNode properties = counts.putObject("properties");
        for (String name : List.of("received", "created", "failed")) {
            properties.putObject(name).put("type", "integer");
        }
        ObjectNode ok = response(operation, "200", "The counts, and a notification per failed line (`line N`)", null);
        ObjectNode content = ok.putObject("content");
        content.putObject(JSON).set("schema", envelope(counts, false));
        content.putObject(NDJSON).set("schema", counts);
        errors(operation, true, "400", "408", "415", "500", "503");
        return operation;
    }

    /** {@code POST /api/_batch} (api.md 14): operations in one transaction. */
    private ObjectNode batch() {
        ObjectNode operation = operation("Batch", "batch", "Run operations in one transaction",
                "1-100 operations in order, all stored or none. A string exactly `$<ref>.<field>` in a body or id "
                        + "is replaced by that field of the document an earlier operation with that `ref` returned. "
                        + "Each operation is checked like its own route; on failure the first failing operation's "
                        + "status, with notifications keyed `[i]`.");
        ObjectNode item = NODES.objectNode().put("type", "object");
        item.putArray("required").add("method").add("entity");
        ObjectNode itemProperties = item.putObject("properties");
        itemProperties.putObject("method").put("type", "string").putArray("enum").add("POST").add("PUT").add("PATCH")
                .add("DELETE");
        itemProperties.putObject("entity").put("type", "string");
        itemProperties.putObject("id").put("type", "string");
        itemProperties.putObject("body").put("type", "object");
        itemProperties.putObject("ref").put("type", "string");
        itemProperties.putObject("ifMatch").put("type", "string");
        ObjectNode request = NODES.objectNode().put("type", "object");
        request.putArray("required").add("operations");
        request.putObject("properties").putObject("operations").put("type", "array").put("minItems", 1)
                .put("maxItems", 100).set("items", item);
        operation.putObject("requestBody").put("required", true).putObject("content").putObject(JSON)
                .set("schema", request);
        ObjectNode result = NODES.objectNode().put("type", "object");
        ObjectNode resultProperties = result.putObject("properties");
        resultProperties.putObject("status").put("type", "integer");
        resultProperties.putObject("data").put("type", "object");
        resultProperties.putObject("etag").put("type", "string");
        ObjectNode results = NODES.objectNode().put("type", "array");
        results.set("items", result);
        response(operation, "200", "Each operation's status and document, in order", null)
                .putObject("content").putObject(JSON).set("schema", envelope(results, false));
        errors(operation, true, "400", "404", "409", "412", "413", "415", "422", "500", "503");
        return operation;
    }

    /** {@code If-Match} on PUT, PATCH and DELETE (api.md 13). */
    private static ObjectNode ifMatch() {
        return header("If-Match", "An ETag (or `*`): the write happens only while it names the stored version");
    }

    private static ObjectNode header(String name, String description) {
        ObjectNode parameter = NODES.objectNode();
        parameter.put("name", name).put("in", "header").put("required", false).put("description", description)
                .putObject("schema").put("type", "string");
        return parameter;
    }

    /** The strong {@code ETag} of a single-document answer (api.md 13). */
    private static ObjectNode etag(ObjectNode response) {
        response.withObjectProperty("headers").putObject("ETag").put("description", "The document's version")
                .putObject("schema").put("type", "string");
        return response;
    }

    /** {@code DELETE /api/{E}/{id}} (api.md 4): idempotent. */
    private ObjectNode delete(Entity entity) {
        ObjectNode operation = operation(entity.name(), "delete" + entity.name(), "Delete " + article(entity.name()),
                "Answers 200 with the deleted document, or with `data: {}` when there was none.");
        operation.putArray("parameters").add(ref("parameters", "id")).add(ifMatch());
        etag(response(operation, "200", "The deleted document, or {}", entity.name() + ".Deleted"));
        errors(operation, true, "400", "412", "500", "503");
        return operation;
    }

    /** {@code POST /api/<services.authn.route>} (api.md 9.1). */
    private ObjectNode login(Entity principal) {
        ObjectNode operation = operation("Sessions", "login" + principal.name(), "Log in as " + article(principal.name()),
                "Matches `login` against `" + principal.login().loginField() + "` and verifies the password. Sets the "
                        + "`sessionId` cookie (HttpOnly, SameSite=Lax).");
        operation.putArray("security");
        body(operation, "Api.Login");
        ObjectNode ok = response(operation, "200", "Logged in", "Api.Session");
        ok.putObject("headers").putObject("Set-Cookie").put("description", "`sessionId=...; HttpOnly; SameSite=Lax`")
                .putObject("schema").put("type", "string");
        errors(operation, false, "401", "500", "503");
        return operation;
    }

    private ObjectNode logout() {
        ObjectNode operation = operation("Sessions", "logout", "Log out", "Deletes the session and clears the cookie.");
        sessionOnly(operation);
        response(operation, "200", "Logged out", "Api.Message");
        errors(operation, false, "401", "500", "503");
        return operation;
    }

    private ObjectNode refresh() {
        ObjectNode operation = operation("Sessions", "refresh", "Restart the session's idle timer", null);
        sessionOnly(operation);
        response(operation, "200", "Refreshed", "Api.Message");
        errors(operation, false, "401", "500", "503");
        return operation;
    }

    private ObjectNode session() {
        ObjectNode operation = operation("Sessions", "session", "The session's login and permissions", null);
        sessionOnly(operation);
        response(operation, "200", "The live session", "Api.Session");
        errors(operation, false, "401", "500", "503");
        return operation;
    }

    /** {@code GET /api/metadata} (api.md 10): not enveloped. */
    private ObjectNode metadata() {
        ObjectNode operation = operation("Metadata and administration", "metadata", "The schema, for UIs",
                "The schema after dictionary resolution and overrides; not wrapped in the envelope.");
        operation.putArray("security");
        response(operation, "200", "The metadata", "Api.Metadata");
        return operation;
    }

    private ObjectNode databaseReport() {
        ObjectNode operation = operation("Metadata and administration", "databaseReport", "Database report",
                "Counts, pool state, server version and indexes; 200 with `report.status: error` when the database "
                        + "is down. Not wrapped in the envelope.");
        operation.putArray("security");
        response(operation, "200", "The report", "Api.DatabaseReport");
        return operation;
    }

    private ObjectNode databaseInitPage() {
        ObjectNode operation = operation("Metadata and administration", "databaseInitPage",
                "Confirmation page for wiping the database", null);
        operation.putArray("security");
        html(operation, "The page");
        return operation;
    }

    private ObjectNode databaseInit() {
        ObjectNode operation = operation("Metadata and administration", "databaseInit",
                "Drop and recreate every entity table and all sessions",
                config.production() ? "Needs a session whose role has `s` on every entity." : "Open in development.");
        if (!config.production() || !sessions) {
            operation.putArray("security");
        } else {
            sessionOnly(operation);
        }
        body(operation, "Api.InitRequest");
        response(operation, "200", "Wiped", "Api.InitResult");
        response(operation, "400", "`confirmed: true` missing", "Api.InitResult");
        if (config.production()) {
            response(operation, "401", "No live session", "Api.InitResult");
            response(operation, "403", "The role lacks `s` on some entity", "Api.InitResult");
        }
        errors(operation, false, "500", "503");
        return operation;
    }

    private ObjectNode openApi(String operationId) {
        ObjectNode operation = operation("Documentation", operationId, "This document", null);
        operation.putArray("security");
        ObjectNode ok = response(operation, "200", "OpenAPI " + OPENAPI_VERSION, null);
        ok.putObject("content").putObject(JSON).putObject("schema").put("type", "object");
        return operation;
    }

    private ObjectNode docs() {
        ObjectNode operation = operation("Documentation", "docs", "Interactive documentation (Swagger UI)", null);
        operation.putArray("security");
        html(operation, "The Swagger UI page, loading /api/openapi.json");
        return operation;
    }

    // ---- Components ----

    private ObjectNode components() {
        ObjectNode components = NODES.objectNode();
        ObjectNode schemas = components.putObject("schemas");
        for (Entity entity : schema.entities()) {
            schemas.set(entity.name(), EntitySchemas.document(entity));
            schemas.set(entity.name() + ".Result", envelope(ref("schemas", entity.name()), false));
            schemas.set(entity.name() + ".Page", envelope(array(ref("schemas", entity.name())), true));
            ObjectNode deleted = NODES.objectNode();
            deleted.putArray("oneOf").add(ref("schemas", entity.name())).addObject().put("type", "object")
                    .put("maxProperties", 0);
            schemas.set(entity.name() + ".Deleted", envelope(deleted, false));
        }
        fixedSchemas(schemas);
        components.set("parameters", parameters());
        components.set("responses", errorResponses());
        ObjectNode cookie = components.putObject("securitySchemes").putObject(SECURITY_SCHEME);
        cookie.put("type", "apiKey");
        cookie.put("in", "cookie");
        cookie.put("name", AuthHandler.COOKIE);
        cookie.put("description", "The session of a login (POST to a login route). "
                + (sessions ? "Entity routes need it." : "This schema declares no login: every route is open."));
        return components;
    }

    /** The envelope's parts (api.md 3.3, 3.4) and the bodies of the fixed routes. */
    private static void fixedSchemas(ObjectNode schemas) {
        ObjectNode pagination = object(schemas, "Api.Pagination", "pageSize");
        ObjectNode page = pagination.withObjectProperty("properties");
        page.putObject("page").put("type", "integer").put("minimum", 1);
        page.putObject("pageSize").put("type", "integer").put("minimum", 1).put("maximum", 1000);
        page.putObject("total").put("type", "integer").put("minimum", 0)
                .put("description", "Omitted with count=none");
        page.putObject("totalPages").put("type", "integer").put("minimum", 0);
        page.putObject("totalEstimated").put("type", "boolean").put("description", "With count=estimated");
        page.putObject("hasMore").put("type", "boolean").put("description", "With count=none");
        page.putObject("next").put("type", "string").put("description", "Cursor for `after=`, on full pages");

        ObjectNode errorEntry = object(schemas, "Api.ErrorEntry", "type", "message");
        ObjectNode errorType = errorEntry.withObjectProperty("properties").putObject("type").put("type", "string");
        ERROR_TYPES.forEach(errorType.putArray("enum")::add);
        errorEntry.withObjectProperty("properties").putObject("message").put("type", "string").put("maxLength", 100);
        errorEntry.withObjectProperty("properties").set("field", string());
        errorEntry.withObjectProperty("properties").putObject("value").put("description", "The offending value (never a secret)");

        ObjectNode warningEntry = object(schemas, "Api.WarningEntry", "type", "message");
        ObjectNode warningType = warningEntry.withObjectProperty("properties").putObject("type").put("type", "string");
        List.of("not_found", "missing", "validation", "ignored", "request").forEach(warningType.putArray("enum")::add);
        for (String name : List.of("message", "entity", "entity_id", "field")) {
            warningEntry.withObjectProperty("properties").set(name, string());
        }

        ObjectNode requestWarning = object(schemas, "Api.RequestWarning", "type", "message");
        for (String name : List.of("type", "message", "parameter")) {
            requestWarning.withObjectProperty("properties").set(name, string());
        }

        ObjectNode holder = object(schemas, "Api.DocumentNotifications");
        holder.withObjectProperty("properties").set("errors", array(ref("schemas", "Api.ErrorEntry")));
        holder.withObjectProperty("properties").set("warnings", array(ref("schemas", "Api.WarningEntry")));

        ObjectNode notifications = object(schemas, "Api.Notifications");
        notifications.put("description", "Keyed by document id, `new` (a create without id) or `general`; "
                + "`request_warnings` holds warnings about the query");
        notifications.withObjectProperty("properties").set("request_warnings", array(ref("schemas", "Api.RequestWarning")));
        notifications.set("additionalProperties", ref("schemas", "Api.DocumentNotifications"));

        ObjectNode error = object(schemas, "Api.ErrorEnvelope", "data", "notifications", "status");
        error.withObjectProperty("properties").putObject("data").put("type", "null");
        error.withObjectProperty("properties").set("notifications", ref("schemas", "Api.Notifications"));
        error.withObjectProperty("properties").putObject("status").put("const", "error");

        ObjectNode login = object(schemas, "Api.Login", "login", "password");
        login.withObjectProperty("properties").set("login", string());
        login.withObjectProperty("properties").set("password", string().put("writeOnly", true));

        ObjectNode sessionData = NODES.objectNode().put("type", "object");
        sessionData.withObjectProperty("properties").set("login", string());
        sessionData.withObjectProperty("properties").set("roleId", string());
        ObjectNode permissions = sessionData.withObjectProperty("properties").putObject("permissions").put("type", "object");
        permissions.withObjectProperty("properties").putObject("entity").put("type", "object")
                .put("description", "Entity name to granted letters (c, r, u, d, s)")
                .set("additionalProperties", string());
        permissions.withObjectProperty("properties").set("reports", array(string()));
        ObjectNode session = object(schemas, "Api.Session", "data", "notifications", "status");
        session.withObjectProperty("properties").set("data", sessionData);
        session.withObjectProperty("properties").set("notifications", ref("schemas", "Api.Notifications"));
        session.withObjectProperty("properties").putObject("status").put("const", "success");

        ObjectNode message = object(schemas, "Api.Message", "data", "notifications", "status");
        message.withObjectProperty("properties").putObject("data").put("type", "object").set("additionalProperties", string());
        message.withObjectProperty("properties").set("notifications", ref("schemas", "Api.Notifications"));
        message.withObjectProperty("properties").putObject("status").put("const", "success");

        ObjectNode metadata = object(schemas, "Api.Metadata", "projectName", "database", "entities");
        metadata.withObjectProperty("properties").set("projectName", string());
        metadata.withObjectProperty("properties").set("database", string().put("const", "postgresql"));
        metadata.withObjectProperty("properties").putObject("entities").put("type", "object")
                .put("description", "Entity name to its fields, ui, services, uniques and operations, in schema order");

        ObjectNode report = object(schemas, "Api.DatabaseReport", "database", "report");
        report.withObjectProperty("properties").set("database", string().put("const", "postgresql"));
        ObjectNode reportBody = report.withObjectProperty("properties").putObject("report").put("type", "object");
        reportBody.putArray("required").add("status");
        reportBody.withObjectProperty("properties").putObject("status").putArray("enum").add("healthy").add("error");
        reportBody.withObjectProperty("properties").putObject("config").put("type", "object")
                .put("description", "The effective configuration, without passwords");
        reportBody.withObjectProperty("properties").putObject("entities").put("type", "object")
                .set("additionalProperties", NODES.objectNode().put("type", "integer"));
        reportBody.withObjectProperty("properties").putObject("details").put("type", "object");
        reportBody.withObjectProperty("properties").set("message", string());

        ObjectNode init = object(schemas, "Api.InitRequest", "confirmed");
        init.withObjectProperty("properties").putObject("confirmed").put("type", "boolean").put("const", true);
        ObjectNode initResult = object(schemas, "Api.InitResult", "status", "message");
        initResult.withObjectProperty("properties").putObject("status").putArray("enum").add("success").add("error");
        initResult.withObjectProperty("properties").set("message", string());
    }

    private static ObjectNode object(ObjectNode schemas, String name, String... required) {
        ObjectNode schema = schemas.putObject(name);
        schema.put("type", "object");
        if (required.length > 0) {
            ArrayNode list = schema.putArray("required");
            for (String property : required) {
                list.add(property);
            }
        }
        schema.putObject("properties");
        return schema;
    }

    private ObjectNode parameters() {
        ObjectNode parameters = NODES.objectNode();
        ObjectNode id = parameter(parameters, "id", "path", "The document id: the whole path segment, percent-decoded, "
                + "compared in lower case", NODES.objectNode().put("type", "string").put("minLength", 1));
        id.put("required", true);
        parameter(parameters, "page", "query", "Page number, from 1 (api.md 5.1)",
                NODES.objectNode().put("type", "integer").put("minimum", 1).put("default", 1));
        parameter(parameters, "pageSize", "query", "Documents per page",
                NODES.objectNode().put("type", "integer").put("minimum", 1).put("maximum", 1000).put("default", 25));
        parameter(parameters, "sort", "query", "`field[:asc|desc][,field[:asc|desc]]...`; `id` ascending is always "
                + "the last key", string());
        parameter(parameters, "filter", "query", "`field:value` or `field:op:value` conditions, comma-separated, "
                + "combined with AND; op is one of eq, ne, gt, gte, ge, lt, lte, le", string());
        ObjectNode fullMatch = string();
        fullMatch.putArray("enum").add("").add("true").add("1").add("yes").add("false").add("0").add("no");
        parameter(parameters, "full_match", "query", "Makes `eq` on plain strings match the whole value instead "
                + "of a part (on when present without a value)", fullMatch);
        parameter(parameters, "view", "query", "`entity(field,...)[,entity(...)]`: expands foreign keys into "
                + "sub-objects (api.md 5.4)", string());
        ObjectNode count = string();
        count.putArray("enum").add("exact").add("estimated").add("none");
        count.put("default", config.defaultCount());
        parameter(parameters, "count", "query", "How `pagination.total` is found (api.md 11.1)", count);
        parameter(parameters, "after", "query", "The `pagination.next` cursor of the previous page, for keyset "
                + "pagination with the same sort and filter (api.md 11.2); not with `page`", string());
        parameter(parameters, "search", "query", "Full-text search over the entity's searchable fields, web-search "
                + "syntax (api.md 11.3)", string());
        ObjectNode ignored = parameter(parameters, "no_consistency", "query", "Accepted and ignored", string());
        ignored.put("deprecated", true);
        return parameters;
    }

    private static ObjectNode parameter(ObjectNode parameters, String name, String in, String description,
                                        ObjectNode schema) {
        ObjectNode parameter = parameters.putObject(name);
        parameter.put("name", name);
        parameter.put("in", in);
        parameter.put("description", description);
        parameter.set("schema", schema);
        return parameter;
    }

    /** Each error status of api.md 3.4, its envelope and an example. */
    private static ObjectNode errorResponses() {
        ObjectNode responses = NODES.objectNode();
        errorResponse(responses, "400", "bad_request", "Malformed query parameters or an unparseable body");
        errorResponse(responses, "401", "unauthorized", "No live session where one is needed, or bad credentials");
        errorResponse(responses, "403", "forbidden", "The session's role lacks the permission");
        errorResponse(responses, "404", "not_found", "Unknown entity, id or route");
        ObjectNode notAllowed = errorResponse(responses, "405", "method_not_allowed",
                "A method the route does not support, or an operation the schema excludes");
        notAllowed.putObject("headers").putObject("Allow").put("description", "The methods the route supports")
                .putObject("schema").put("type", "string");
        errorResponse(responses, "408", "bad_request", "The client stopped sending its body");
        errorResponse(responses, "409", "conflict", "A unique key would be duplicated");
        errorResponse(responses, "412", "precondition_failed", "If-Match names another version than the stored one");
        errorResponse(responses, "413", "payload_too_large", "Body over the limit (1 MiB)");
        errorResponse(responses, "415", "unsupported_media_type", "A body that is not JSON");
        errorResponse(responses, "422", "validation_failed", "The body breaks the schema (every failing field is "
                + "listed), or a foreign key names a missing document");
        errorResponse(responses, "500", "internal_error", "A fault of the server");
        ObjectNode unavailable = errorResponse(responses, "503", "unavailable",
                "The database cannot be reached, or no connection was free in time");
        unavailable.putObject("headers").putObject("Retry-After").put("description", "Seconds to wait")
                .putObject("schema").put("type", "integer");
        return responses;
    }

    private static ObjectNode errorResponse(ObjectNode responses, String status, String type, String description) {
        ObjectNode response = responses.putObject(status);
        response.put("description", description);
        ObjectNode media = response.putObject("content").putObject(JSON);
        media.set("schema", ref("schemas", "Api.ErrorEnvelope"));
        ObjectNode example = media.putObject("example");
        example.putNull("data");
        example.putObject("notifications").putObject("general").putArray("errors").addObject()
                .put("type", type).put("message", description);
        example.put("status", "error");
        return response;
    }

    // ---- Helpers ----

    private ArrayNode tags() {
        ArrayNode tags = NODES.arrayNode();
        for (Entity entity : schema.entities()) {
            ObjectNode tag = tags.addObject().put("name", entity.name());
            JsonNode ui = schema.metadata().path("entities").path(entity.name()).path("ui");
            String description = ui.path("description").asString(ui.path("title").asString(""));
            if (!description.isEmpty()) {
                tag.put("description", description);
            }
        }
        tags.addObject().put("name", "Sessions").put("description", "Login, logout and the session cookie (api.md 9)");
        tags.addObject().put("name", "Metadata and administration").put("description", "api.md 10");
        tags.addObject().put("name", "Documentation").put("description", "This description and its UI");
        return tags;
    }

    private void add(String path, String method, ObjectNode operation) {
        paths.withObjectProperty(path).set(method, operation);
    }

    private ObjectNode operation(String tag, String operationId, String summary, @Nullable String description) {
        ObjectNode operation = NODES.objectNode();
        operation.putArray("tags").add(tag);
        operation.put("operationId", operationId);
        operation.put("summary", summary);
        if (description != null) {
            operation.put("description", description);
        }
        operation.putObject("responses");
        return operation;
    }

    private void sessionOnly(ObjectNode operation) {
        if (sessions) {
            operation.putArray("security").addObject().putArray(SECURITY_SCHEME);
        } else {
            operation.putArray("security");
        }
    }

    /** The error statuses of an operation; {@code entityRoute}: add 401/403 when sessions are on. */
    private void errors(ObjectNode operation, boolean entityRoute, String... statuses) {
        ObjectNode responses = operation.withObjectProperty("responses");
        if (entityRoute) {
            if (sessions) {
                operation.putArray("security").addObject().putArray(SECURITY_SCHEME);
                responses.set("401", ref("responses", "401"));
                responses.set("403", ref("responses", "403"));
            } else {
                operation.putArray("security");
            }
        }
        for (String status : statuses) {
            responses.set(status, ref("responses", status));
        }
    }

    private static void body(ObjectNode operation, String schemaName) {
        ObjectNode body = operation.putObject("requestBody");
        body.put("required", true);
        body.putObject("content").putObject(JSON).set("schema", ref("schemas", schemaName));
    }

    /** A JSON response of {@code schemaName} (none when null). */
    private static ObjectNode response(ObjectNode operation, String status, String description,
                                       @Nullable String schemaName) {
        ObjectNode response = operation.withObjectProperty("responses").putObject(status);
        response.put("description", description);
        if (schemaName != null) {
            response.putObject("content").putObject(JSON).set("schema", ref("schemas", schemaName));
        }
        return response;
    }

    private static void html(ObjectNode operation, String description) {
        ObjectNode response = operation.withObjectProperty("responses").putObject("200");
        response.put("description", description);
        response.putObject("content").putObject("text/html").putObject("schema").put("type", "string");
    }

    /** A success envelope around {@code data}; lists also carry {@code pagination}. */
    private static ObjectNode envelope(JsonNode data, boolean page) {
        ObjectNode envelope = NODES.objectNode();
        envelope.put("type", "object");
        ArrayNode required = envelope.putArray("required").add("data").add("notifications").add("status");
        ObjectNode properties = envelope.putObject("properties");
        properties.set("data", data);
        properties.set("notifications", ref("schemas", "Api.Notifications"));
        properties.putObject("status").putArray("enum").add("success").add("warning");
        if (page) {
            properties.set("pagination", ref("schemas", "Api.Pagination"));
            required.add("pagination");
        }
        return envelope;
    }

    /** "a User", "an Account". */
    private static String article(String name) {
        return ("AEIOU".indexOf(Character.toUpperCase(name.charAt(0))) >= 0 ? "an " : "a ") + name;
    }

    static ObjectNode ref(String section, String name) {
        return NODES.objectNode().put("$ref", "#/components/" + section + "/" + name);
    }

    static ObjectNode array(JsonNode items) {
        ObjectNode array = NODES.objectNode().put("type", "array");
        array.set("items", items);
        return array;
    }

    static ObjectNode string() {
        return NODES.objectNode().put("type", "string");
    }

    /** A schema bound as a JSON number: integral bounds as integers, others as they were written. */
    static JsonNode number(BigDecimal value) {
        if (value.signum() == 0 || value.stripTrailingZeros().scale() <= 0) {
            try {
                return NODES.numberNode(value.longValueExact());
            } catch (ArithmeticException tooLarge) {
                return NODES.numberNode(value);
            }
        }
        return NODES.numberNode(value);
    }

    /** JSON Schema of documents: one per entity. */
    static final class EntitySchemas {

        private EntitySchemas() {
        }

        static ObjectNode document(Entity entity) {
            ObjectNode schema = NODES.objectNode();
            schema.put("type", "object");
            ArrayNode required = schema.putArray("required").add("id");
            ObjectNode properties = schema.putObject("properties");
            ObjectNode id = properties.putObject("id");
            id.put("type", "string");
            id.put("minLength", 1);
            id.put("maxLength", 128);
            id.put("readOnly", true);
            id.put("description", "Lower case. A client may send one on create (1-128 characters, no whitespace, "
                    + "control characters or '/'); otherwise the server makes a ULID.");
            for (Field field : entity.fields()) {
                properties.set(field.name(), field(field));
                if (field.required()) {
                    required.add(field.name());
                }
            }
            for (Field field : entity.foreignKeys()) {
                String name = field.name().substring(0, field.name().length() - 2);
                if (!properties.has(name)) {
                    ObjectNode expansion = properties.putObject(name);
                    expansion.put("type", "object");
                    expansion.put("readOnly", true);
                    expansion.put("description", "The " + field.foreignKey() + " that `" + field.name() + "` names, with "
                            + "the fields `view` asked for; only when `view` names it");
                    expansion.putObject("properties").putObject("exists").put("type", "boolean");
                    expansion.putArray("required").add("exists");
                }
            }
            return schema;
        }

        static ObjectNode field(Field field) {
            ObjectNode node = NODES.objectNode();
            switch (field.type()) {
                case STRING -> node.put("type", "string");
                case INTEGER -> node.put("type", "integer");
                case NUMBER, CURRENCY -> node.put("type", "number");
                case FLOAT -> node.put("type", "number").put("format", "double");
                case BOOLEAN -> node.put("type", "boolean");
                case DATE -> node.put("type", "string").put("format", "date");
                case DATETIME -> node.put("type", "string").put("format", "date-time");
                case OBJECT_ID -> node.put("type", "string");
                case STRING_ARRAY -> node.put("type", "array").set("items", string());
                case JSON_OBJECT -> node.put("type", "object");
                case JSON_ANY -> {
                    // any JSON value: no type
                }
                default -> throw new IllegalStateException("No JSON Schema for " + field.type());
            }
            if (field.minLength() != null) {
                node.put("minLength", field.minLength());
            }
            if (field.maxLength() != null) {
                node.put("maxLength", field.maxLength());
            }
            if (field.pattern() != null) {
                node.put("pattern", field.pattern().pattern());
            }
            if (field.hasEnum()) {
                ArrayNode values = node.putArray("enum");
                field.enumValues().forEach(values::add);
            }
            bound(node, "minimum", field.ge());
            bound(node, "maximum", field.le());
            bound(node, "exclusiveMinimum", field.gt());
            bound(node, "exclusiveMaximum", field.lt());
            if (field.defaultValue() != null) {
                node.set("default", field.defaultValue());
            }
            if (field.autoGenerate() || field.autoUpdate()) {
                node.put("readOnly", true);
            }
            if (field.secret()) {
                node.put("writeOnly", true);
            }
            String description = description(field);
            if (!description.isEmpty()) {
                node.put("description", description);
            }
            return node;
        }

        private static void bound(ObjectNode node, String keyword, @Nullable BigDecimal value) {
            if (value != null) {
                node.set(keyword, number(value));
            }
        }

        private static String description(Field field) {
            StringBuilder text = new StringBuilder(field.type().schemaName());
            if (field.foreignKey() != null) {
                text.append(": the id of a ").append(field.foreignKey());
            }
            if (field.autoGenerate()) {
                text.append("; set to the time of creation when the client sends none");
            }
            if (field.autoUpdate()) {
                text.append("; set to the time of every write when the client sends none");
            }
            if (field.secret()) {
                text.append(field.hashed() ? "; stored only as a salted hash, never returned" : "; never returned");
            }
            if (field.patternMessage() != null) {
                text.append("; pattern: ").append(field.patternMessage());
            }
            if (field.searchable()) {
                text.append("; searchable (search=)");
            }
            return text.toString();
        }
    }
}
