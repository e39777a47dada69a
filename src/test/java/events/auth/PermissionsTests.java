package events.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import events.schema.Schema;
import events.schema.SchemaLoader;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/** Unit tests for {@link Permissions}: grants in, expanded permissions in schema order out. */
final class PermissionsTests {

    private static Schema schema;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = PermissionsTests.class.getResourceAsStream("/events-schema.yaml")) {
            schema = new SchemaLoader().load(new String(in.readAllBytes(), StandardCharsets.UTF_8), null);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "{\"*\": \"cru\", \"Role\": \"r\", \"Auth\": \"\", \"Account\": \"r\", \"Crawl\": \"\"}|"
                + "Account=r,User=cru,Profile=cru,TagAffinity=cru,Event=cru,UserEvent=cru,Url=cru,Role=r",
        "{\"*\": \"ru\"}|Account=ru,User=ru,Profile=ru,TagAffinity=ru,Event=ru,UserEvent=ru,Url=ru,Crawl=ru,Auth=ru,Role=ru",
        "{\"account\": \"DRC\"}|Account=crd",
        "{\"*\": \"s\", \"user\": \"r\"}|Account=cruds,User=r,Profile=cruds,TagAffinity=cruds,Event=cruds,UserEvent=cruds,"
                + "Url=cruds,Crawl=cruds,Auth=cruds,Role=cruds",
        "{\"Event\": \"rs\", \"Url\": \"S\"}|Event=cruds,Url=cruds",
        "{}|",
        "{\"Nope\": \"crud\"}|",
        "{\"*\": \"xyz\"}|",
        "{\"*\": 5}|"})
    void expandsObjects(String grants, String expected) {
        assertThat(describe(Permissions.expand(schema, JsonMapper.builder().build().readTree(grants))))
                .isEqualTo(expected == null ? "" : expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "{'*': 'r', account: 's',}|Account=cruds,User=r",
        "{\"Event\": \"c\"}|Event=c",
        "not json at all|",
        "[1, 2]|"})
    void expandsJson5Strings(String grants, String expectedPrefix) {
        String described = describe(Permissions.expand(schema, JsonNodeFactory.instance.stringNode(grants)));
        assertThat(described).startsWith(expectedPrefix == null ? "" : expectedPrefix);
        if (expectedPrefix == null) {
            assertThat(described).isEmpty();
        }
    }

    private static String describe(Permissions permissions) {
        StringBuilder text = new StringBuilder();
        permissions.byEntity().forEach((entity, letters) -> text.append(text.length() == 0 ? "" : ",")
                .append(entity).append('=').append(letters));
        return text.toString();
    }
}
