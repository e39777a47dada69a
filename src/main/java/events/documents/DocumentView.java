package events.documents;

import events.db.StoredDocument;
import events.schema.Entity;
import events.schema.Field;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A stored document as clients see it: {@code id} first, then the schema's fields in schema order;
 * secret fields and keys the schema no longer has are left out (api.md 4).
 */
public final class DocumentView {

    private DocumentView() {
    }

    public static ObjectNode render(Entity entity, StoredDocument document) {
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
        }
        return view;
    }
}
