package events.documents;

import java.util.Map;

import events.db.StoredDocument;
import events.schema.Entity;
import events.schema.Field;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A stored document as clients see it: {@code id} first, then the schema's fields in schema order;
 * secret fields and keys the schema no longer has are left out (api.md 4). A foreign key's expansion
 * ({@code account} for {@code accountId}) follows its key.
 */
public final class DocumentView {

    private DocumentView() {
    }

    public static ObjectNode render(Entity entity, StoredDocument document) {
        return render(entity, document, Map.of());
    }

    /** @param expansions sub-objects by foreign-key field name */
    public static ObjectNode render(Entity entity, StoredDocument document, Map<String, ObjectNode> expansions) {
        ObjectNode view = JsonNodeFactory.instance.objectNode();
        view.put("id", document.id());
        ObjectNode data = document.data();
        for (Field field : entity.fields()) {
            if (field.secret()) {
                continue;
            }
            JsonNode value = data.get(field.name());
            if (value != null && !value.isNull()) {
                view.set(field.name(), value);
            }
            ObjectNode expansion = expansions.get(field.name());
            if (expansion != null) {
                view.set(expansionName(field), expansion);
            }
        }
        return view;
    }

    /** {@code accountId} → {@code account}. */
    public static String expansionName(Field foreignKey) {
        return foreignKey.name().substring(0, foreignKey.name().length() - 2);
    }
}
