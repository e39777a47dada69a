package events.api;

import static events.api.EntityRoutesIntegrationTests.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import com.networknt.schema.Error;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.dialect.OpenApi31;

import events.support.TestServers;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * {@code /api/openapi.json}, {@code /openapi.json} and {@code /docs} (api.md 15) on the real server:
 * the document passes two OpenAPI 3.1 validators, its entity schemas follow the schema YAML they came
 * from, and what the server really answers conforms to the schemas it declares.
 */
final class OpenApiIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The OpenAPI Initiative's published JSON Schemas for 3.1 documents (shipped in vertx-openapi's jar). */
    private static final String OAS_31 = "https://spec.openapis.org/oas/3.1/";
    private static final String DOCUMENT = "https://events.test/openapi.json";

    private final WebTestClient anonymous = TestServers.anonymous(TestServers.shared());
    private final WebTestClient client = TestServers.client(TestServers.shared());

    @Test
    void passesTheOpenApiInitiativeSchemaFor31Documents() {
        JsonNode document = document("/api/openapi.json");
        assertThat(document.path("openapi").asString()).isEqualTo("3.1.0");
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaIdResolvers(resolvers -> resolvers.mapPrefix(OAS_31, "classpath:spec.openapis.org/oas/3.1/")));
        var schema = registry.getSchema(SchemaLocation.of(OAS_31 + "schema-base/2022-10-07"));
        List<Error> errors = schema.validate(document);
        assertThat(errors).isEmpty();

        // The validator is not a yes-man: a document with a broken operation fails it.
        var broken = (tools.jackson.databind.node.ObjectNode) document.deepCopy();
        broken.withObjectProperty("paths").withObjectProperty("/api/metadata").withObjectProperty("get")
                .remove("responses");
        broken.withObjectProperty("components").withObjectProperty("schemas").withObjectProperty("Account")
                .put("type", "no-such-type");
        assertThat(schema.validate(broken)).isNotEmpty();
    }

    @Test
    void swaggerParserReadsItAsOpenApi31WithoutComplaint() {
        String text = anonymous.get().uri("/api/openapi.json").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(text);
        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI().getSpecVersion().name()).isEqualTo("V31");
        assertThat(result.getOpenAPI().getPaths()).containsKeys("/api/Account", "/api/Account/{id}", "/api/login");
        assertThat(result.getOpenAPI().getComponents().getSecuritySchemes().get("sessionCookie").getName())
                .isEqualTo("sessionId");
    }

    @Test
    void bothPathsServeTheSameDocumentWithoutASession() {
        assertThat(document("/openapi.json")).isEqualTo(document("/api/openapi.json"));
    }

    @Test
    void describesEveryRouteOfTheServerWithItsErrorStatuses() {
        JsonNode paths = document("/api/openapi.json").path("paths");
        assertThat(methods(paths, "/api/User")).containsExactly("get", "post");
        assertThat(methods(paths, "/api/User/{id}")).containsExactly("delete", "get", "patch", "put");
        assertThat(methods(paths, "/api/User/_import")).containsExactly("post");
        assertThat(methods(paths, "/api/_batch")).containsExactly("post");
        // Versions (api.md 13): If-Match and 412 on writes, If-None-Match and 304 on GET one, ETag headers.
        JsonNode patch = paths.path("/api/User/{id}").path("patch");
        assertThat(patch.path("requestBody").path("content").has("application/merge-patch+json")).isTrue();
        assertThat(patch.path("responses").has("412")).isTrue();
        assertThat(patch.path("parameters").toString()).contains("If-Match");
        JsonNode read = paths.path("/api/User/{id}").path("get");
        assertThat(read.path("responses").has("304")).isTrue();
        assertThat(read.path("responses").path("200").path("headers").has("ETag")).isTrue();
        // Bulk create (api.md 12.1): an object or an array of 1-1000.
        assertThat(paths.path("/api/User").path("post").path("requestBody").toString()).contains("\"maxItems\":1000");
        assertThat(methods(paths, "/api/login")).containsExactly("post");
        assertThat(methods(paths, "/api/login/user")).containsExactly("post");
        assertThat(methods(paths, "/api/db/init")).containsExactly("get", "post");
        for (String path : List.of("/api/logout", "/api/refresh", "/api/session", "/api/metadata", "/api/db/report",
                "/docs", "/openapi.json")) {
            assertThat(paths.has(path)).as(path).isTrue();
        }
        JsonNode list = paths.path("/api/Event").path("get");
        List<String> parameters = new ArrayList<>();
        list.path("parameters").forEach(p -> parameters.add(p.path("$ref").asString()));
        assertThat(parameters).contains("#/components/parameters/page", "#/components/parameters/pageSize",
                "#/components/parameters/filter", "#/components/parameters/count", "#/components/parameters/after",
                "#/components/parameters/search");
        assertThat(list.path("responses").path("200").path("content").has("application/x-ndjson")).isTrue();
        assertThat(list.path("security").path(0).has("sessionCookie")).isTrue();
        JsonNode create = paths.path("/api/Event").path("post").path("responses");
        assertThat(create.propertyNames()).contains("201", "400", "401", "403", "409", "413", "415", "422", "500", "503");
        assertThat(paths.path("/api/metadata").path("get").path("security").isEmpty()).as("no session").isTrue();
        JsonNode unavailable = document("/api/openapi.json").path("components").path("responses").path("503");
        assertThat(unavailable.path("headers").has("Retry-After")).isTrue();
    }

    /** A few entity schemas against the YAML they came from: config/events-schema.yaml, read here on its own. */
    @ParameterizedTest
    @ValueSource(strings = {"User", "Event", "TagAffinity", "Auth", "Role"})
    void entitySchemasFollowTheSchemaYaml(String entity) throws IOException {
        JsonNode yaml = YAMLMapper.builder().build().readTree(Files.readString(Path.of("config", "events-schema.yaml")));
        JsonNode fields = yaml.path("entities").path(entity).path("fields");
        JsonNode generated = document("/api/openapi.json").path("components").path("schemas").path(entity);
        JsonNode properties = generated.path("properties");

        Set<String> required = new TreeSet<>(List.of("id"));
        for (Map.Entry<String, JsonNode> entry : fields.properties()) {
            String name = entry.getKey();
            JsonNode field = entry.getValue();
            JsonNode property = properties.path(name);
            String type = field.path("type").asString();
            assertThat(property.path("type").asString(null)).as(entity + "." + name + " type")
                    .isEqualTo(switch (type) {
                        case "String", "Date", "Datetime", "ObjectId" -> "string";
                        case "Integer" -> "integer";
                        case "Number", "Float", "Currency" -> "number";
                        case "Boolean" -> "boolean";
                        case "Array[String]" -> "array";
                        case "JSON" -> "object";
                        default -> null; // Json: any value
                    });
            assertThat(property.path("format").asString(null)).as(entity + "." + name + " format")
                    .isEqualTo(type.equals("Date") ? "date" : type.equals("Datetime") ? "date-time" : null);
            same(field, "min_length", property, "minLength");
            same(field, "max_length", property, "maxLength");
            same(field, "ge", property, "minimum");
            same(field, "le", property, "maximum");
            if (field.has("enum")) {
                assertThat(property.path("enum")).as(entity + "." + name + " enum").isEqualTo(field.path("enum").path("values"));
            }
            if (field.has("pattern")) {
                String regex = field.path("pattern").path("regex").asString();
                if (regex.startsWith("dictionary=")) {
                    String[] key = regex.substring("dictionary=".length()).split("\\.");
                    regex = yaml.path("dictionaries").path(key[0]).path(key[1]).asString();
                }
                assertThat(property.path("pattern").asString()).as(entity + "." + name + " pattern").isEqualTo(regex);
            }
            if (field.has("default")) {
                assertThat(property.path("default")).isEqualTo(field.path("default"));
            }
            boolean automatic = field.path("autoGenerate").asBoolean(false) || field.path("autoUpdate").asBoolean(false);
            assertThat(property.path("readOnly").asBoolean(false)).as(entity + "." + name + " readOnly").isEqualTo(automatic);
            boolean secret = field.path("encrypt").asBoolean(false)
                    || "secret".equals(field.path("ui").path("display").asString(""))
                    || name.equals(yaml.path("entities").path(entity).path("services").path("authn").path("inputs")
                            .path("password").asString(""));
            assertThat(property.path("writeOnly").asBoolean(false)).as(entity + "." + name + " writeOnly").isEqualTo(secret);
            if (field.path("required").asBoolean(false)) {
                required.add(name);
            }
        }
        assertThat(properties.path("id").path("readOnly").asBoolean()).isTrue();
        Set<String> generatedRequired = new TreeSet<>();
        generated.path("required").forEach(n -> generatedRequired.add(n.asString()));
        assertThat(generatedRequired).isEqualTo(required);
    }

    /** What the server answers fits what the document says it answers (OpenAPI 3.1's schema dialect). */
    @Test
    void realAnswersConformToTheirDeclaredSchemas() {
        JsonNode document = document("/api/openapi.json");
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(OpenApi31.getInstance(),
                builder -> builder.schemas(Map.of(DOCUMENT, document.toString())));

        JsonNode created = read(client.post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", "OpenAPI " + unique(), "credit", 12.5, "expireDate", "2030-01-01"))
                .exchange().expectStatus().isCreated());
        conforms(registry, "Account.Result", created);
        String id = created.path("data").path("id").asString();
        conforms(registry, "Account.Result", read(client.get().uri("/api/Account/" + id).exchange().expectStatus().isOk()));
        conforms(registry, "Account.Page", read(client.get().uri("/api/Account?pageSize=3&sort=name")
                .exchange().expectStatus().isOk()));
        conforms(registry, "Account.Deleted", read(client.delete().uri("/api/Account/" + id).exchange().expectStatus().isOk()));
        conforms(registry, "Account.Deleted", read(client.delete().uri("/api/Account/" + id).exchange().expectStatus().isOk()));
        conforms(registry, "Api.ErrorEnvelope", read(client.get().uri("/api/Account/" + id).exchange().expectStatus().isNotFound()));
        conforms(registry, "Api.ErrorEnvelope", read(client.post().uri("/api/Account").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("name", "x")).exchange().expectStatus().isEqualTo(422)));
        conforms(registry, "Api.Session", read(client.get().uri("/api/session").exchange().expectStatus().isOk()));
        conforms(registry, "Api.Metadata", read(client.get().uri("/api/metadata").exchange().expectStatus().isOk()));
        conforms(registry, "Api.DatabaseReport", read(client.get().uri("/api/db/report").exchange().expectStatus().isOk()));

        // And a wrong answer does not: the check has teeth.
        JsonNode wrong = JSON.readTree("{\"data\": {\"id\": \"a\", \"name\": 5}, \"notifications\": {}, \"status\": \"success\"}");
        assertThat(registry.getSchema(SchemaLocation.of(DOCUMENT + "#/components/schemas/Account.Result")).validate(wrong))
                .isNotEmpty();
    }

    @Test
    void docsServeSwaggerUiFromTheJarPointedAtTheDocument() {
        String page = anonymous.get().uri("/docs").exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(page).contains("url: '/api/openapi.json'").doesNotContain("https://");
        String bundle = page.replaceAll("(?s).*<script src=\"([^\"]+)\".*", "$1");
        assertThat(bundle).startsWith("/webjars/swagger-ui/").endsWith("/swagger-ui-bundle.js");
        anonymous.get().uri(bundle).exchange().expectStatus().isOk();
        String css = page.replaceAll("(?s).*<link rel=\"stylesheet\" href=\"([^\"]+)\".*", "$1");
        anonymous.get().uri(css).exchange().expectStatus().isOk();
    }

    private static void conforms(SchemaRegistry registry, String schemaName, JsonNode answer) {
        List<Error> errors = registry.getSchema(SchemaLocation.of(DOCUMENT + "#/components/schemas/" + schemaName))
                .validate(answer);
        assertThat(errors).as(schemaName + " for " + answer).isEmpty();
    }

    private static void same(JsonNode field, String yamlKey, JsonNode property, String openApiKey) {
        if (field.has(yamlKey)) {
            assertThat(property.path(openApiKey).decimalValue()).as(yamlKey)
                    .isEqualByComparingTo(field.path(yamlKey).decimalValue());
        } else {
            assertThat(property.has(openApiKey)).as(openApiKey + " without " + yamlKey).isFalse();
        }
    }

    private static Set<String> methods(JsonNode paths, String path) {
        return new TreeSet<>(paths.path(path).propertyNames());
    }

    private JsonNode document(String path) {
        return read(anonymous.get().uri(path).exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON));
    }

    private static JsonNode read(WebTestClient.ResponseSpec response) {
        byte[] body = response.expectBody().returnResult().getResponseBody();
        return JSON.readTree(new String(body, StandardCharsets.UTF_8));
    }
}
