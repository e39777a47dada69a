-- The checks of docs/scaling.md, as run on 2026-11-28 against the database of a server started with
-- EVENTS_DB_URI=postgresql://events:events@localhost:5432 EVENTS_DB_NAME=events_scale_doc EVENTS_LOG_LEVEL=debug
-- after the requests listed there; the statement texts are copied from its 'SQL: ...' log lines, the
-- ids are the documents that run created. Run: psql -X <uri>/events_scale_doc -f docs/scaling-checks.sql
\echo === E1 keyset page (line 72 of the debug log)
PREPARE keyset(text, int, text, text) AS WITH page AS MATERIALIZED (SELECT id, data FROM ((SELECT id, data FROM "User" WHERE ((data->>'accountId') COLLATE "C") = $1 AND (left(lower(data->>'lastName'), 200) COLLATE "C") = left($3, 200) AND (lower(data->>'lastName') COLLATE "C") = $3 AND id > $4 ORDER BY id ASC LIMIT $2) UNION ALL (SELECT id, data FROM "User" WHERE ((data->>'accountId') COLLATE "C") = $1 AND (left(lower(data->>'lastName'), 200) COLLATE "C") >= left($3, 200) AND (lower(data->>'lastName') COLLATE "C") > $3 ORDER BY (left(lower(data->>'lastName'), 200) COLLATE "C") ASC NULLS LAST, (lower(data->>'lastName') COLLATE "C") ASC NULLS LAST, id ASC LIMIT $2) UNION ALL (SELECT id, data FROM "User" WHERE ((data->>'accountId') COLLATE "C") = $1 AND (left(lower(data->>'lastName'), 200) COLLATE "C") IS NULL ORDER BY (left(lower(data->>'lastName'), 200) COLLATE "C") ASC NULLS LAST, id ASC LIMIT $2)) AS keyset ORDER BY (left(lower(data->>'lastName'), 200) COLLATE "C") ASC NULLS LAST, (lower(data->>'lastName') COLLATE "C") ASC NULLS LAST, id ASC LIMIT $2) SELECT id, data, NULL::bigint AS total, ((lower(data->>'lastName') COLLATE "C"))::text AS k0, (id)::text AS k1 FROM page ORDER BY (left(lower(data->>'lastName'), 200) COLLATE "C") ASC NULLS LAST, (lower(data->>'lastName') COLLATE "C") ASC NULLS LAST, id ASC;
EXPLAIN (COSTS OFF) EXECUTE keyset('01m8gkscbx0mmgn50k478sfvzc', 3, 'user1', '0');
\echo === E2 session check (line 56)
PREPARE session(text, float8, float8, float8) AS WITH s AS (SELECT token_hash, principal_entity, principal_id, login, credentials, last_seen FROM events_sessions WHERE token_hash = $1 AND last_seen > now() - make_interval(secs => $2) AND created_at > now() - make_interval(secs => $3)), p AS (SELECT s.token_hash, s.principal_entity, s.principal_id, s.login, s.last_seen, 'Role'::text AS role_entity, p0.data->>'roleId' AS role_id FROM s JOIN "User" p0 ON s.principal_entity = 'User' AND p0.id = s.principal_id AND encode(sha256(convert_to(p0.data->>'password', 'UTF8')), 'hex') = ANY(s.credentials) UNION ALL SELECT s.token_hash, s.principal_entity, s.principal_id, s.login, s.last_seen, 'Role'::text AS role_entity, p1.data->>'roleId' AS role_id FROM s JOIN "Auth" p1 ON s.principal_entity = 'Auth' AND p1.id = s.principal_id AND encode(sha256(convert_to(p1.data->>'password', 'UTF8')), 'hex') = ANY(s.credentials)), touched AS (UPDATE events_sessions t SET last_seen = now() FROM p WHERE t.token_hash = p.token_hash AND p.last_seen < now() - make_interval(secs => $4)) SELECT p.principal_entity, p.principal_id, p.login, p.role_id, COALESCE(r0.data->'permissions') AS permissions FROM p LEFT JOIN "Role" r0 ON p.role_entity = 'Role' AND r0.id = lower(p.role_id);
EXPLAIN (COSTS OFF) EXECUTE session('nohash', 3600, 28800, 60);
\echo === E3 create User with its foreign-key check (line 60)
PREPARE insert_user(text, text, text, jsonb) AS WITH fk AS (SELECT array_remove(ARRAY[CASE WHEN EXISTS (SELECT 1 FROM "Account" r WHERE r.id = $1 FOR KEY SHARE) THEN NULL ELSE 'accountId' END, CASE WHEN EXISTS (SELECT 1 FROM "Role" r WHERE r.id = $2 FOR KEY SHARE) THEN NULL ELSE 'roleId' END]::text[], NULL) AS missing), written AS (INSERT INTO "User" (id, data) SELECT $3, $4 FROM fk WHERE cardinality(fk.missing) = 0 RETURNING id, data, version) SELECT fk.missing, true AS found, written.id, written.data, written.version FROM fk LEFT JOIN written ON true;
BEGIN; EXPLAIN (COSTS OFF) EXECUTE insert_user('01m8gkscbx0mmgn50k478sfvzc', 'admin', 'explain-only', '{"username": "explain-only"}'); ROLLBACK;
\echo === E4 uniqueness table keyed by the unique value
CREATE TABLE scale_unique (entity text COLLATE "C", key_name text COLLATE "C", key_hash bytea, id text COLLATE "C" NOT NULL,
  PRIMARY KEY (entity, key_name, key_hash));
BEGIN;
INSERT INTO scale_unique VALUES ('User', 'username', events_key_hash(lower('DocUser1')), 'u-1');
COMMIT;
BEGIN;
INSERT INTO scale_unique VALUES ('User', 'username', events_key_hash(lower('docuser1')), 'u-2');
ROLLBACK;
SELECT count(*) AS claims FROM scale_unique;
DROP TABLE scale_unique;
\echo === E5 estimated count statement (line 75)
EXPLAIN (FORMAT JSON) SELECT 1 FROM "User" WHERE ((data->>'accountId') COLLATE "C") = '01m8gkscbx0mmgn50k478sfvzc';
\echo === E6 version default and replace
SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'User' ORDER BY ordinal_position;
