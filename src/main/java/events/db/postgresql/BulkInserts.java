package events.db.postgresql;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;

import events.db.StoredDocument;
import events.db.UnitOfWork;
import events.db.UnitOfWork.NewDocument;
import events.error.ApiError;
import events.error.ApiException;
import events.schema.Entity;
import events.schema.Field;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Bulk create (api.md 12.1) with set-based SQL, inside the caller's transaction: one statement checks
 * every foreign key of the batch, one inserts every row. The whole batch travels as one JSONB array
 * parameter ({@code jsonb_array_elements}), so a batch of any size is one prepared statement.
 *
 * <p>The insert says {@code ON CONFLICT DO NOTHING}: a document that collides with a stored one, or with
 * an earlier one of the same batch, is skipped instead of aborting the statement, so the server can
 * still ask which key each skipped document collides on (one more statement, only on that failure path)
 * and report every one of them under its position before the transaction is rolled back.
 */
final class BulkInserts {

    private final PostgreSQLDocuments documents;
    private final FieldExpressions expressions;
    private final PostgreSQLErrors errors;

    BulkInserts(PostgreSQLDocuments documents, FieldExpressions expressions, PostgreSQLErrors errors) {
        this.documents = documents;
        this.expressions = expressions;
        this.errors = errors;
    }

    Mono<List<StoredDocument>> insertAll(Connection connection, Entity entity, List<NewDocument> batch,
                                         List<String> keys) {
        return Mono.defer(() -> {
            ApiException duplicateIds = duplicateIds(batch, keys);
            return missingReferences(connection, entity, batch, keys)
                    .then(duplicateIds == null ? insert(connection, entity, batch, keys) : Mono.error(duplicateIds));
        }).onErrorMap(errors::translate);
    }

    /**
     * Fails with a 422 listing every document of the batch whose foreign key names no document
     * ({@link #missing}).
     */
    private Mono<Void> missingReferences(Connection connection, Entity entity, List<NewDocument> batch,
                                         List<String> keys) {
        return missing(connection, entity, batch).flatMap(absent -> {
            // All or nothing: a document of the batch that a reference names is stored with the rest or not at all.
            Set<String> ids = new HashSet<>();
            batch.forEach(document -> ids.add(document.id()));
            Set<Map.Entry<String, String>> missing = new HashSet<>();
            for (Map.Entry<String, String> reference : absent) {
                if (!(selfReference(entity, reference.getKey()) && ids.contains(reference.getValue()))) {
                    missing.add(reference);
                }
            }
            if (missing.isEmpty()) {
                return Mono.empty();
            }
            List<ApiError> failures = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                ApiError failure = missingReference(entity, batch.get(i), keys.get(i), missing);
                if (failure != null) {
                    failures.add(failure);
                }
            }
            return Mono.error(new ApiException(new ApiError.Several(failures)));
        });
    }

    /** The 422 of one document whose foreign keys name a {@code missing} (field, id), or null. */
    private static @Nullable ApiError missingReference(Entity entity, NewDocument document, String key,
                                                       Set<Map.Entry<String, String>> missing) {
        List<PostgreSQLDocuments.Reference> references = PostgreSQLDocuments.references(entity, document.data());
        List<String> fields = references.stream()
                .filter(r -> missing.contains(Map.entry(r.field().name(), r.id())))
                .map(r -> r.field().name()).toList();
        return fields.isEmpty() ? null : PostgreSQLDocuments.missingReferences(key, references, fields).error();
    }

    /**
     * {@code SELECT 'accountId', r.id FROM unnest($1::text[]) r(id) WHERE NOT EXISTS (SELECT 1 FROM
     * "Account" a WHERE a.id = r.id FOR KEY SHARE) UNION ALL ...}: every distinct value of every foreign
     * key of the batch that names no document, as (field, id), in one statement (none without foreign
     * keys). The rows found are locked {@code FOR KEY SHARE} so they cannot be deleted before the insert
     * commits. Only stored rows count: a reference to a document of the batch itself (a self-referencing
     * entity) is in the answer, and the caller decides ({@link #insertAll} stores the batch whole or not
     * at all; {@link #insertEach} stores a document only with the one it names).
     */
    private Mono<Set<Map.Entry<String, String>>> missing(Connection connection, Entity entity, List<NewDocument> batch) {
        Map<Field, Set<String>> values = new LinkedHashMap<>();
        for (NewDocument document : batch) {
            for (PostgreSQLDocuments.Reference reference : PostgreSQLDocuments.references(entity, document.data())) {
                values.computeIfAbsent(reference.field(), f -> new LinkedHashSet<>()).add(reference.id());
            }
        }
        if (values.isEmpty()) {
            return Mono.just(Set.of());
        }
        Sql sql = new Sql();
        String union = "";
        for (Map.Entry<Field, Set<String>> entry : values.entrySet()) {
            Field field = entry.getKey();
            sql.append(union).append("SELECT ").append(Sql.quoteLiteral(field.name())).append(" AS field, r.id FROM unnest(")
                    .bind(entry.getValue().toArray(String[]::new)).append("::text[]) AS r(id) WHERE NOT EXISTS (SELECT 1 FROM ")
                    .append(Sql.table(field.foreignKey())).append(" t WHERE t.id = r.id FOR KEY SHARE)");
            union = " UNION ALL ";
        }
        return Statements.rows(connection, sql, row -> Map.entry(row.get("field", String.class), row.get("id", String.class)))
                .map(Set::copyOf);
    }

    /**
     * Import (api.md 12.2): every document that can be stored is, the others are skipped and reported by
     * position. Three statements at most on the usual paths, whatever the batch's size: the foreign keys
     * of the whole batch (only when it has any), the insert of the rest ({@code ON CONFLICT DO NOTHING}, so
     * a collision skips the document instead of aborting the transaction), and, only when the insert
     * skipped some, the statement of {@link #conflictErrors} telling which key each skipped document
     * collides on. A later document with the id of an earlier one is skipped before any SQL.
     *
     * <p>A document may name another document of the batch (a self-referencing entity): it is stored only
     * if that one is, so no stored document is left naming a missing one. Documents whose target fails
     * before the insert (its own foreign key) are skipped with it, along whole chains ({@link Links}); when
     * the insert then skips a target (a collision), the documents that name it, directly or along a chain,
     * are deleted again by one more statement in the same transaction, and reported.
     */
    Mono<UnitOfWork.Inserted> insertEach(Connection connection, Entity entity, List<NewDocument> batch,
                                         List<String> keys) {
        return Mono.defer(() -> {
            SortedMap<Integer, ApiError> failures = new TreeMap<>();
            Map<String, Integer> seen = new HashMap<>();
            List<Integer> candidates = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                String id = batch.get(i).id();
                Integer first = seen.putIfAbsent(id, i);
                if (first == null) {
                    candidates.add(i);
                } else {
                    failures.put(i, idTaken(keys.get(i), id, "id '" + shorten(id) + "' is also the id of "
                            + keys.get(first)));
                }
            }
            List<NewDocument> unique = candidates.stream().map(batch::get).toList();
            return missing(connection, entity, unique).flatMap(missing -> {
                Links links = new Links(entity, batch, keys);
                List<Integer> unresolved = new ArrayList<>();
                for (int i : candidates) {
                    ApiError failure = missing.isEmpty() ? null : links.resolve(i, seen, missing);
                    if (failure != null) {
                        failures.put(i, failure);
                        unresolved.add(i);
                    }
                }
                links.reject(unresolved, failures);
                List<Integer> rest = candidates.stream().filter(i -> !failures.containsKey(i)).toList();
                if (rest.isEmpty()) {
                    return Mono.just(new UnitOfWork.Inserted(0, failures));
                }
                return insertReturningIds(connection, entity, rest.stream().map(batch::get).toList())
                        .flatMap(inserted -> {
                            List<Integer> skipped = rest.stream()
                                    .filter(i -> !inserted.contains(batch.get(i).id())).toList();
                            if (skipped.isEmpty()) {
                                return Mono.just(new UnitOfWork.Inserted(inserted.size(), failures));
                            }
                            return conflictErrors(connection, entity, batch, keys, skipped).flatMap(conflicts -> {
                                for (int k = 0; k < skipped.size(); k++) {
                                    failures.put(skipped.get(k), conflicts.get(k));
                                }
                                List<Integer> orphans = links.reject(skipped, failures);
                                if (orphans.isEmpty()) {
                                    return Mono.just(new UnitOfWork.Inserted(inserted.size(), failures));
                                }
                                return deleteAgain(connection, entity, orphans.stream().map(batch::get).toList())
                                        .map(deleted -> new UnitOfWork.Inserted(inserted.size() - deleted, failures));
                            });
                        });
            });
        }).onErrorMap(errors::translate);
    }

    /**
     * The references between documents of one batch: which document names which other one, by which
     * foreign key. Built from the references that name no stored row; a document naming itself needs no
     * link (it is stored or not as a whole).
     */
    private static final class Links {

        private final Entity entity;
        private final List<NewDocument> batch;
        private final List<String> keys;
        /** For each target position, the (document position, field) that name it. */
        private final Map<Integer, List<Map.Entry<Integer, Field>>> namedBy = new HashMap<>();

        Links(Entity entity, List<NewDocument> batch, List<String> keys) {
            this.entity = entity;
            this.batch = batch;
            this.keys = keys;
        }

        /**
         * Links document {@code i} to the documents of the batch its {@code missing} references name
         * ({@code ids}: position of each id, first occurrences only); the 422 of its references that name
         * neither a stored row nor a document of the batch, or null.
         */
        @Nullable ApiError resolve(int i, Map<String, Integer> ids, Set<Map.Entry<String, String>> missing) {
            List<PostgreSQLDocuments.Reference> references = PostgreSQLDocuments.references(entity, batch.get(i).data());
            List<String> absent = new ArrayList<>();
            for (PostgreSQLDocuments.Reference reference : references) {
                if (!missing.contains(Map.entry(reference.field().name(), reference.id()))) {
                    continue;
                }
                Integer target = entity.name().equals(reference.target()) ? ids.get(reference.id()) : null;
                if (target == null) {
                    absent.add(reference.field().name());
                } else if (target != i) {
                    namedBy.computeIfAbsent(target, t -> new ArrayList<>()).add(Map.entry(i, reference.field()));
                }
            }
            return absent.isEmpty() ? null
                    : PostgreSQLDocuments.missingReferences(keys.get(i), references, absent).error();
        }

        /**
         * Rejects, with a 422 in {@code failures}, every document not yet there that names one of
         * {@code rejected} or, along a chain, a document rejected for that: the fixed point, in one pass.
         * Returns the documents newly rejected.
         */
        List<Integer> reject(List<Integer> rejected, Map<Integer, ApiError> failures) {
            List<Integer> added = new ArrayList<>();
            ArrayDeque<Integer> queue = new ArrayDeque<>(rejected);
            while (!queue.isEmpty()) {
                int target = queue.poll();
                for (Map.Entry<Integer, Field> link : namedBy.getOrDefault(target, List.of())) {
                    int document = link.getKey();
                    if (failures.containsKey(document)) {
                        continue;
                    }
                    String id = batch.get(target).id();
                    String shown = id.length() > 40 ? id.substring(0, 40) + "..." : id;
                    failures.put(document, new ApiError.ValidationFailed(keys.get(document), List.of(new ApiError.Entry(
                            entity.name() + " " + shown + " is not stored: " + keys.get(target) + " failed",
                            link.getValue().name(), JsonNodeFactory.instance.stringNode(id)))));
                    added.add(document);
                    queue.add(document);
                }
            }
            return added;
        }
    }

    /** Whether {@code field} of {@code entity} names a document of {@code entity} itself. */
    private static boolean selfReference(Entity entity, String field) {
        return entity.field(field).map(f -> entity.name().equals(f.foreignKey())).orElse(false);
    }

    /**
     * {@code DELETE FROM "E" WHERE id = ANY($1) RETURNING id}: documents this transaction inserted and must
     * not keep after all; how many went.
     */
    private Mono<Integer> deleteAgain(Connection connection, Entity entity, List<NewDocument> documents) {
        Sql sql = new Sql().append("DELETE FROM ").table(entity).append(" WHERE id = ANY(")
                .bind(documents.stream().map(NewDocument::id).toArray(String[]::new)).append("::text[]) RETURNING id");
        return Statements.rows(connection, sql, row -> row.get("id", String.class)).map(List::size);
    }

    /**
     * {@code INSERT INTO "E" (id, data) SELECT d.x->>'id', d.x->'data' FROM jsonb_array_elements($1) WITH
     * ORDINALITY AS d(x, n) ORDER BY d.n ON CONFLICT DO NOTHING RETURNING id}: the ids stored.
     */
    private Mono<Set<String>> insertReturningIds(Connection connection, Entity entity, List<NewDocument> rows) {
        Sql sql = new Sql().append("INSERT INTO ").table(entity).append(" (id, data) SELECT d.x->>'id', d.x->'data' "
                        + "FROM jsonb_array_elements(").bind(documents.jsonb(rowsOf(rows)))
                .append("::jsonb) WITH ORDINALITY AS d(x, n) ORDER BY d.n ON CONFLICT DO NOTHING RETURNING id");
        return Statements.rows(connection, sql, row -> row.get("id", String.class)).map(HashSet::new);
    }

    private static ArrayNode rowsOf(List<NewDocument> batch) {
        ArrayNode rows = JsonNodeFactory.instance.arrayNode(batch.size());
        for (NewDocument document : batch) {
            ObjectNode row = rows.addObject();
            row.put("id", document.id());
            row.set("data", document.data());
        }
        return rows;
    }

    /** A later document with the id of an earlier one (ids are already lower case): 409 on the later. */
    private static ApiException duplicateIds(List<NewDocument> batch, List<String> keys) {
        Map<String, Integer> seen = new HashMap<>();
        List<ApiError> failures = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            String id = batch.get(i).id();
            Integer first = seen.putIfAbsent(id, i);
            if (first != null) {
                failures.add(idTaken(keys.get(i), id, "id '" + shorten(id) + "' is also the id of " + keys.get(first)));
            }
        }
        return failures.isEmpty() ? null : new ApiException(new ApiError.Several(failures));
    }

    /**
     * {@code INSERT INTO "E" (id, data) SELECT d.x->>'id', d.x->'data' FROM jsonb_array_elements($1)
     * WITH ORDINALITY AS d(x, n) ORDER BY d.n ON CONFLICT DO NOTHING RETURNING id, data, version}.
     */
    private Mono<List<StoredDocument>> insert(Connection connection, Entity entity, List<NewDocument> batch,
                                              List<String> keys) {
        Sql sql = new Sql().append("INSERT INTO ").table(entity).append(" (id, data) SELECT d.x->>'id', d.x->'data' "
                        + "FROM jsonb_array_elements(").bind(documents.jsonb(rowsOf(batch)))
                .append("::jsonb) WITH ORDINALITY AS d(x, n) ORDER BY d.n ON CONFLICT DO NOTHING RETURNING id, data, version");
        return Statements.rows(connection, sql, documents::versioned).flatMap(stored -> {
            if (stored.size() == batch.size()) {
                Map<String, StoredDocument> byId = new HashMap<>();
                stored.forEach(document -> byId.put(document.id(), document));
                return Mono.just(batch.stream().map(document -> byId.get(document.id())).toList());
            }
            Set<String> inserted = new HashSet<>();
            stored.forEach(document -> inserted.add(document.id()));
            List<Integer> skipped = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                if (!inserted.contains(batch.get(i).id())) {
                    skipped.add(i);
                }
            }
            return conflictErrors(connection, entity, batch, keys, skipped)
                    .flatMap(failures -> Mono.error(new ApiException(new ApiError.Several(failures))));
        });
    }

    /**
     * Which key each skipped document collides on, in one statement: its id, or the first unique key
     * whose index expressions (the same constants as the index, so the index answers) match a row now in
     * the table, stored before or inserted just now from earlier in the batch: one 409 per skipped
     * document, in the order of {@code skipped}.
     */
    private Mono<List<ApiError>> conflictErrors(Connection connection, Entity entity, List<NewDocument> batch,
                                                List<String> keys, List<Integer> skipped) {
        ArrayNode rows = JsonNodeFactory.instance.arrayNode(skipped.size());
        for (int i : skipped) {
            ObjectNode row = rows.addObject();
            row.put("n", i);
            row.put("id", batch.get(i).id());
            row.set("data", batch.get(i).data());
        }
        List<Entity.UniqueKey> uniques = entity.uniques();
        // The key expressions read a column named data: computed here for the batch's documents, and
        // below, inside each EXISTS, for the table's rows (the innermost data is the table's).
        Sql sql = new Sql().append("WITH d AS (SELECT (x->>'n')::int AS n, x->>'id' AS id, x->'data' AS data FROM "
                + "jsonb_array_elements(").bind(documents.jsonb(rows)).append("::jsonb) AS a(x)), k AS (SELECT n, id");
        for (int u = 0; u < uniques.size(); u++) {
            List<Field> fields = uniques.get(u).fields();
            for (int f = 0; f < fields.size(); f++) {
                sql.append(", ").append(expressions.uniquePart(fields.get(f))).append(" AS k" + u + "_" + f);
            }
        }
        sql.append(" FROM d) SELECT k.n, EXISTS (SELECT 1 FROM ").table(entity).append(" WHERE id = k.id) AS taken");
        for (int u = 0; u < uniques.size(); u++) {
            List<Field> fields = uniques.get(u).fields();
            sql.append(", EXISTS (SELECT 1 FROM ").table(entity).append(" WHERE id <> k.id");
            for (int f = 0; f < fields.size(); f++) {
                sql.append(" AND ").append(expressions.uniquePart(fields.get(f))).append(" = k.k" + u + "_" + f);
            }
            sql.append(") AS u" + u);
        }
        sql.append(" FROM k ORDER BY k.n");
        return Statements.rows(connection, sql, row -> conflict(row, entity, batch, keys));
    }

    private static ApiError conflict(Readable row, Entity entity, List<NewDocument> batch, List<String> keys) {
        int n = row.get("n", Integer.class);
        NewDocument document = batch.get(n);
        if (Boolean.TRUE.equals(row.get("taken", Boolean.class))) {
            return idTaken(keys.get(n), document.id(), "id '" + shorten(document.id()) + "' already exists");
        }
        List<Entity.UniqueKey> uniques = entity.uniques();
        for (int u = 0; u < uniques.size(); u++) {
            if (Boolean.TRUE.equals(row.get("u" + u, Boolean.class))) {
                ApiError.DuplicateKey duplicate = (ApiError.DuplicateKey) PostgreSQLErrors.duplicate(uniques.get(u),
                        keys.get(n), document.data());
                return duplicate;
            }
        }
        // Collided with a row that a concurrent writer has since removed: still not stored.
        return new ApiError.DuplicateKey(keys.get(n), "id", "A document with the same key was being written; retry",
                null);
    }

    private static ApiError idTaken(String key, String id, String message) {
        return new ApiError.DuplicateKey(key, "id", message, id);
    }

    private static String shorten(String id) {
        return id.length() > 60 ? id.substring(0, 60) + "..." : id;
    }
}
