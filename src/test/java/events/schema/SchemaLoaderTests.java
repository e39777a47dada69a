package events.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Unit tests for {@link SchemaLoader}. */
final class SchemaLoaderTests {

    private final SchemaLoader loader = new SchemaLoader();

    @Test
    void loadsTheEventsSchema() throws IOException {
        Schema schema = loader.load(eventsSchema(), null);
        assertThat(schema.entities()).extracting(Entity::name).containsExactly("Account", "User", "Profile",
                "TagAffinity", "Event", "UserEvent", "Url", "Crawl", "Auth", "Role");
        Entity user = schema.entity("USER").orElseThrow();
        assertThat(user.field("accountid").orElseThrow().foreignKey()).isEqualTo("Account");
        assertThat(user.field("password").orElseThrow().secret()).isTrue();
        assertThat(user.field("password").orElseThrow().hashed()).isTrue();
        assertThat(schema.entity("Auth").orElseThrow().field("password").orElseThrow().hashed()).isTrue();
        assertThat(user.field("email").orElseThrow().pattern().pattern()).startsWith("^[a-zA-Z0-9]");
        assertThat(user.uniques()).hasSize(2);
        assertThat(user.login().route()).isEqualTo("login/user");
        assertThat(schema.entity("Profile").orElseThrow().uniques().get(0).fields()).extracting(Field::name)
                .containsExactly("name", "userId");
    }

    @Test
    void searchableFieldsCarryTheirWeightAndReachTheMetadata() throws IOException {
        Schema schema = loader.load(eventsSchema(), null);
        assertThat(schema.textSearchConfig()).isEqualTo("simple");
        assertThat(schema.entity("Event").orElseThrow().searchFields()).extracting(Field::name)
                .containsExactly("title", "location");
        assertThat(schema.entity("User").orElseThrow().searchFields()).extracting(Field::name)
                .containsExactly("firstName", "lastName", "city");
        assertThat(schema.entity("UserEvent").orElseThrow().searchFields()).extracting(Field::name)
                .containsExactly("note");
        assertThat(schema.entity("Account").orElseThrow().searchFields()).isEmpty();
        assertThat(schema.entity("Event").orElseThrow().field("title").orElseThrow().searchWeight()).isEqualTo('B');
        assertThat(schema.metadata().path("entities").path("Event").path("fields").path("title").path("search")
                .asBoolean()).isTrue();

        Schema weighted = loader.load("text_search_config: English\nentities:\n  A:\n    fields:\n"
                + "      t: { type: String, search: true, search_weight: a }\n", null);
        assertThat(weighted.textSearchConfig()).isEqualTo("english");
        assertThat(weighted.entity("A").orElseThrow().field("t").orElseThrow().searchWeight()).isEqualTo('A');
    }

    @Test
    void overridesAreDeepMergedIntoTheMetadata() throws IOException {
        Schema schema = loader.load(eventsSchema(), "{\"entities\":{\"User\":{\"ui\":{\"title\":\"People\"}}}}");
        assertThat(schema.metadata().path("entities").path("User").path("ui").path("title").asString())
                .isEqualTo("People");
        assertThat(schema.metadata().path("entities").path("User").path("ui").path("icon").asString())
                .isEqualTo("fa-user");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "entities: {}|schema has no 'entities'",
        "entities:\\n  A:\\n    fields:\\n      f: { type: Huge }|entity A field f: unknown type 'Huge'",
        "entities:\\n  A:\\n    fields:\\n      f: { required: true }|entity A field f: missing 'type'",
        "entities:\\n  A:\\n    fields:\\n      f: { type: String, pattern: { regex: 'dictionary=main.nope' } }|"
                + "entity A field f: pattern refers to unknown dictionary entry 'main.nope'",
        "entities:\\n  A:\\n    fields:\\n      f: { type: String, pattern: { regex: '([' } }|"
                + "entity A field f: pattern does not compile",
        "entities:\\n  A:\\n    fields:\\n      f: { type: String }\\n    uniques: [[g]]|"
                + "entity A: unique key names unknown field 'g'",
        "entities:\\n  A:\\n    fields:\\n      ownerId: { type: ObjectId }|entity A field ownerId: foreign key to "
                + "unknown entity 'owner'",
        "entities:\\n  A:\\n    fields:\\n      id: { type: String }|entity A field id: 'id' is implicit",
        "entities:\\n  A:\\n    fields:\\n      f: { type: String }\\n  a:\\n    fields: {}|declared twice",
        "entities:\\n  'A b':\\n    fields: {}|names must be letters",
        "entities:\\n  A:\\n    fields:\\n      f: { type: String, max_length: -1 }|'max_length' must be a non-negative",
        "entities:\\n  A:\\n    operations: crux\\n    fields: {}|operations must be letters of 'crud'",
        "entities:\\n  A:\\n    fields:\\n      n: { type: Integer, search: true }|"
                + "entity A field n: search applies to String fields only, not Integer",
        "entities:\\n  A:\\n    fields:\\n      f: { type: String, search: yes please }|"
                + "entity A field f: 'search' must be true or false",
        "entities:\\n  A:\\n    fields:\\n      f: { type: String, search: true, search_weight: E }|"
                + "entity A field f: search_weight must be A, B, C or D, not 'E'",
        "entities:\\n  A:\\n    fields:\\n      f: { type: String, search_weight: A }|"
                + "entity A field f: search_weight needs search: true",
        "entities:\\n  A:\\n    fields:\\n      f: { type: String, search: true, encrypt: true }|"
                + "entity A field f: a secret field cannot be searchable",
        "text_search_config: 'english; drop'\\nentities:\\n  A:\\n    fields: {}|"
                + "text_search_config must name a text search configuration",
        "entities:\\n  events_secrets:\\n    fields: {}|reserved for the server's secrets",
        "[|not valid YAML",
        "just words|must be a YAML mapping"})
    void rejectsSchemaMistakesNamingEntityAndField(String yaml, String message) {
        assertThatThrownBy(() -> loader.load(yaml.replace("\\n", "\n"), null))
                .isInstanceOf(SchemaException.class)
                .hasMessageContaining(message);
    }

    static String eventsSchema() throws IOException {
        try (InputStream in = SchemaLoaderTests.class.getResourceAsStream("/events-schema.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
