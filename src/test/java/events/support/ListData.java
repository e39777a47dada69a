package events.support;

/**
 * Rows for the list tests on {@code lists-schema.yaml}, made by {@code generate_series} in one
 * statement. Every sortable type, with missing values, ties, mixed case, and strings that share their
 * first 200 characters; notes with searchable words repeated 0-2 times (so relevance varies and ties).
 */
public final class ListData {

    private ListData() {
    }

    /** An {@code INSERT} of rows {@code from..to} (ids {@code <prefix>0000042}) into {@code "Item"}-shaped {@code table}. */
    public static String insert(String table, String idPrefix, int from, int to) {
        return "INSERT INTO \"" + table + "\" (id, data) SELECT '" + idPrefix + "' || lpad(i::text, 7, '0'), "
                + "jsonb_strip_nulls(jsonb_build_object("
                + "'name', CASE WHEN i % 17 = 0 THEN NULL "
                + "WHEN i % 97 = 0 THEN repeat('z', 200) || md5(i::text) "
                + "WHEN i % 5 = 0 THEN initcap((ARRAY['apple','banana','cherry','date','elder'])[i % 5 + 1]) "
                + "|| ' ' || substr(md5(i::text), 1, 6) "
                + "ELSE (ARRAY['apple','banana','cherry','date','elder'])[(i / 7) % 5 + 1] || ' ' "
                + "|| substr(md5(i::text), 1, 6) END, "
                + "'category', CASE WHEN i % 11 = 0 THEN NULL "
                + "ELSE (ARRAY['alpha','beta','gamma','delta','epsilon'])[i % 5 + 1] END, "
                + "'score', CASE WHEN i % 13 = 0 THEN NULL ELSE (i::bigint * 7919) % 1000 END, "
                + "'price', CASE WHEN i % 7 = 0 THEN NULL ELSE ((i * 31) % 10000) / 100.0 END, "
                + "'active', CASE i % 3 WHEN 0 THEN true WHEN 1 THEN false END, "
                + "'day', CASE WHEN i % 19 = 0 THEN NULL ELSE (date '2020-01-01' + (i % 1500))::text END, "
                + "'note', CASE WHEN i % 4 = 0 THEN NULL ELSE repeat('jazz ', i % 3) "
                + "|| (ARRAY['night','festival','concert','rock'])[(i / 3) % 4 + 1] || ' music' END)) "
                + "FROM generate_series(" + from + ", " + to + ") AS i";
    }
}
