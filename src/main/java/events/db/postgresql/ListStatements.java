package events.db.postgresql;

import java.util.ArrayList;
import java.util.List;

import events.db.postgresql.PostgreSQLQueries.Branch;
import events.db.postgresql.PostgreSQLQueries.OrderTerm;
import events.query.CountMode;
import events.query.ListQuery;
import events.schema.Entity;

/**
 * The SQL of list requests (api.md 5, 11): a page with its total, the planner's estimate, the count
 * alone, and streams; with {@code search} and keyset positions ({@code after}).
 */
final class ListStatements {

    private final FieldExpressions expressions;
    private final PostgreSQLQueries queries;

    ListStatements(FieldExpressions expressions, PostgreSQLQueries queries) {
        this.expressions = expressions;
        this.queries = queries;
    }

    /**
     * One statement, so one snapshot and one round trip: up to {@code pageSize + 1} rows (the extra one
     * only tells whether more follow), each with its sort-key values ({@code k0, k1, ...}, for the
     * {@code next} cursor) and, for {@code count=exact}, the total.
     *
     * <p>With {@code page}, a page that is not full already tells the total ({@code offset + rows});
     * only a full one pays for {@code count(*)}, which sits in the CASE's ELSE branch (an InitPlan,
     * evaluated only when reached). No {@code count(*) OVER ()}: it would make PostgreSQL produce and
     * sort the whole match before the LIMIT. Other count modes read no total here.
     *
     * <p>With {@code after}, the rows come from the keyset branches of
     * {@link PostgreSQLQueries#keysetBranches}: each branch a range scan with its own LIMIT, no OFFSET,
     * so a page deep in the list costs what the first one does. The branches' union is sorted again
     * (at most branches × LIMIT rows): SQL does not promise that {@code UNION ALL} keeps their order.
     */
    Sql page(Entity entity, ListQuery query) {
        return page(entity, query, null);
    }

    /**
     * {@link #page} after a session check, as one statement (issue 9: one round trip for a list request):
     * the check's common table expressions and its select as the CTE {@code session}, whose values take
     * {@code $1..$n}; the page is read only when the session is live; the answer is the session's columns
     * next to each page row, or one row with the session's columns (or nulls) when there is no page row.
     */
    Sql pageAfterSession(Entity entity, ListQuery query, SessionCheck check) {
        return page(entity, query, check);
    }

    /** A session check to put before a page: its CTEs, its final select, and its values ($1..$n). */
    record SessionCheck(String ctes, String select, Object[] values) {
    }

    private Sql page(Entity entity, ListQuery query, SessionCheck check) {
        Sql sql = check == null ? new Sql() : Sql.of(DatabaseMetrics.Kind.SELECT, "", check.values());
        Clauses clauses = new Clauses(sql, entity, query, false);
        if (check != null) {
            // An InitPlan: without a live session, no index or table is read.
            clauses.where.add(0, "EXISTS (SELECT 1 FROM session)");
        }
        String limit = sql.placeholder(query.page().size() + 1);
        String count = "SELECT count(*) FROM " + Sql.table(entity.name()) + where(clauses.where);
        boolean exact = query.count() == CountMode.EXACT;
        String total;
        sql.append(check == null ? "WITH page AS MATERIALIZED ("
                : check.ctes() + ", session AS (" + check.select() + "), page AS MATERIALIZED (");
        if (query.after() == null) {
            String offset = sql.placeholder(query.page().offset());
            sql.append("SELECT id, data FROM ").table(entity).append(where(clauses.where));
            PostgreSQLQueries.orderBy(sql, clauses.terms);
            sql.append(" LIMIT ").append(limit).append(" OFFSET ").append(offset);
            total = !exact ? "NULL::bigint" : "CASE WHEN (SELECT count(*) FROM page) < " + limit + " THEN " + offset
                    + " + (SELECT count(*) FROM page) ELSE (" + count + ") END";
        } else {
            List<Branch> branches = PostgreSQLQueries.keysetBranches(sql, clauses.terms, query.after().values());
            if (branches.size() == 1) {
                sql.append("SELECT id, data FROM ").table(entity).append(where(clauses.where,
                        branches.get(0).predicate()));
                PostgreSQLQueries.orderBy(sql, branches.get(0).order());
            } else {
                sql.append("SELECT id, data FROM (");
                for (int i = 0; i < branches.size(); i++) {
                    Branch branch = branches.get(i);
                    sql.append(i == 0 ? "(" : " UNION ALL (").append("SELECT id, data FROM ").table(entity)
                            .append(where(clauses.where, branch.predicate()));
                    PostgreSQLQueries.orderBy(sql, branch.order());
                    sql.append(" LIMIT ").append(limit).append(")");
                }
                sql.append(") AS keyset");
                PostgreSQLQueries.orderBy(sql, clauses.terms);
            }
            sql.append(" LIMIT ").append(limit);
            total = exact ? "(" + count + ")" : "NULL::bigint";
        }
        sql.append(check == null ? ") SELECT id, data, " : ") SELECT session.*, page.id, page.data, ")
                .append(total).append(" AS total").append(PostgreSQLQueries.keyColumns(clauses.terms))
                .append(check == null ? " FROM page" : " FROM (SELECT 1) AS one LEFT JOIN session ON true"
                        + " LEFT JOIN page ON true");
        PostgreSQLQueries.orderBy(sql, clauses.terms); // the CTE's order, stated again so it is guaranteed
        return sql;
    }

    /** {@code count(*)} of the whole match (the position {@code after} plays no part). */
    Sql count(Entity entity, ListQuery query) {
        Sql sql = new Sql();
        Clauses clauses = new Clauses(sql, entity, query, false);
        return sql.append("SELECT count(*) FROM ").table(entity).append(where(clauses.where));
    }

    /**
     * The planner's row estimate of the match ({@code count=estimated}): {@code EXPLAIN} of the list's
     * own {@code WHERE} (strings by their indexed prefix, see {@link PostgreSQLQueries#predicates}),
     * read from the JSON plan's {@code "Plan Rows"}. Planning only: no row is read, whatever the size
     * of the table. Without a filter this is the table's {@code reltuples} scaled to its current size.
     */
    Sql estimate(Entity entity, ListQuery query) {
        Sql sql = new Sql();
        Clauses clauses = new Clauses(sql, entity, query, true);
        return sql.append("EXPLAIN (FORMAT JSON) SELECT 1 FROM ").table(entity).append(where(clauses.where));
    }

    /**
     * Every matching row in order (the page only when one was asked for), after the keyset position
     * when there is one: its branches joined by OR, which is the same set.
     */
    Sql stream(Entity entity, ListQuery query) {
        Sql sql = new Sql();
        Clauses clauses = new Clauses(sql, entity, query, false);
        List<String> where = new ArrayList<>(clauses.where);
        if (query.after() != null) {
            List<String> branches = PostgreSQLQueries.keysetBranches(sql, clauses.terms, query.after().values())
                    .stream().map(Branch::predicate).toList();
            where.add("((" + String.join(") OR (", branches) + "))");
        }
        sql.append("SELECT id, data FROM ").table(entity).append(where(where));
        PostgreSQLQueries.orderBy(sql, clauses.terms);
        if (query.paged()) {
            sql.append(" LIMIT ").bind(query.page().size()).append(" OFFSET ").bind(query.page().offset());
        }
        return sql;
    }

    private static String where(List<String> predicates, String... more) {
        List<String> all = new ArrayList<>(predicates);
        all.addAll(List.of(more));
        return all.isEmpty() ? "" : " WHERE " + String.join(" AND ", all);
    }

    /**
     * The filter and search of one statement, their values bound to its {@link Sql} once (the search
     * words are shared by the match, the relevance and the order), and its order terms.
     */
    private final class Clauses {
        final List<String> where;
        final List<OrderTerm> terms;

        Clauses(Sql sql, Entity entity, ListQuery query, boolean estimation) {
            String textQuery = query.search() == null ? null : expressions.textQuery(sql.placeholder(query.search()));
            where = new ArrayList<>(queries.predicates(sql, query.filter(), estimation));
            if (textQuery != null) {
                where.add(expressions.textDocument(entity) + " @@ " + textQuery);
            }
            terms = queries.terms(entity, query, textQuery);
        }
    }
}
