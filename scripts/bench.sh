#!/usr/bin/env bash
# Load test: the packaged jar under wrk vs PostgreSQL alone under pgbench running the same SQL, at
# the same concurrency, on 100,000 Users. Prints a markdown table (requests/s, min/median/max of RUNS).
#
#   scripts/bench.sh          # needs: target/events-server.jar, wrk, pgbench, psql, and a PostgreSQL
#                             # reachable as $DB_URI whose role may create databases
#   ONLY='count|after' RUNS=1 DURATION=5 scripts/bench.sh   # a reduced run: scenarios matching ONLY
set -euo pipefail
cd "$(dirname "$0")/.."
# wrk, pgbench and the README's PostgreSQL (SKIP_SETUP=1 when they are already there).
[ -n "${SKIP_SETUP:-}" ] || scripts/bench-setup.sh
DB_URI=${DB_URI:-postgresql://events:events@localhost:5432}
DB=${DB:-events_bench}
USERS=${USERS:-100000}
CONCURRENCY=${CONCURRENCY:-16}
STREAM_CONCURRENCY=${STREAM_CONCURRENCY:-2}
DURATION=${DURATION:-15}
RUNS=${RUNS:-3}
PORT=${PORT:-5600}
ONLY=${ONLY:-}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

psql -q "$DB_URI/postgres" -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null
EVENTS_DB_URI=$DB_URI EVENTS_DB_NAME=$DB EVENTS_SERVER_PORT=$PORT EVENTS_LOG_LEVEL=warn EVENTS_DATA_DIR=$WORK/data \
  java -jar target/events-server.jar > "$WORK/server.log" 2>&1 &
SERVER=$!
until curl -sf "http://localhost:$PORT/actuator/health" > /dev/null; do sleep 0.5; done

# Bulk load straight into the table (bypassing the API keeps loading fast; passwords are not hashes).
psql -q "$DB_URI/$DB" <<SQL
INSERT INTO "Account" (id, data) SELECT 'acc-' || i, jsonb_build_object('name', 'Account ' || i, 'enabled', true)
  FROM generate_series(0, 499) AS i;
INSERT INTO "Role" (id, data) VALUES ('role-1', '{"role": "bench", "permissions": {"*": "r"}}');
INSERT INTO "User" (id, data) SELECT 'u' || lpad(i::text, 6, '0'), jsonb_build_object(
  'username', 'user_' || lpad(i::text, 6, '0'), 'email', 'user' || i || '@example.com', 'password', 'x',
  'firstName', 'First', 'lastName', md5(i::text), 'isAccountOwner', i % 2 = 0,
  'netWorth', (i * 7919) % 10000000, 'dob', (date '1950-01-01' + (i % 20000))::text,
  'city', 'City ' || (i % 1000), 'accountId', 'acc-' || (i % 500), 'roleId', 'role-1',
  'createdAt', '2026-01-01', 'updatedAt', '2026-01-01T00:00:00.000Z')
  FROM generate_series(1, $USERS) AS i;
VACUUM ANALYZE "User";
VACUUM ANALYZE "Account";
SQL

# A reader to log in as, made with the first-login command (the server is running: fine on a
# PostgreSQL of your own). Every measured request carries its session, as real clients do.
EVENTS_DB_URI=$DB_URI EVENTS_DB_NAME=$DB java -jar target/events-server.jar create Role \
  '{"id": "bench", "role": "Bench Reader", "permissions": {"*": "r"}}' > /dev/null 2>&1
EVENTS_DB_URI=$DB_URI EVENTS_DB_NAME=$DB java -jar target/events-server.jar create Auth \
  '{"name": "bench", "password": "bench-password", "roleId": "bench"}' > /dev/null 2>&1
TOKEN=$(curl -s -D - -o /dev/null -X POST "http://localhost:$PORT/api/login" -H 'Content-Type: application/json' \
  -d '{"login": "bench", "password": "bench-password"}' | sed -n 's/^[Ss]et-[Cc]ookie: sessionId=\([^;]*\).*/\1/p')
[ -n "$TOKEN" ] || { echo "login failed" >&2; exit 1; }
TOKEN_HASH=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
# The session check every gated request runs first (idle 3600 s, max 28800 s, slack 60 s): the
# session, its principal's current role key and password, and that role's permissions.
SESSION_SQL="WITH s AS (SELECT token_hash, principal_entity, principal_id, login, credentials, last_seen FROM events_sessions WHERE token_hash = '$TOKEN_HASH' AND last_seen > now() - make_interval(secs => 3600) AND created_at > now() - make_interval(secs => 28800)), p AS (SELECT s.token_hash, s.principal_entity, s.principal_id, s.login, s.last_seen, 'Role'::text AS role_entity, p0.data->>'roleId' AS role_id FROM s JOIN \"User\" p0 ON s.principal_entity = 'User' AND p0.id = s.principal_id AND encode(sha256(convert_to(p0.data->>'password', 'UTF8')), 'hex') = ANY(s.credentials) UNION ALL SELECT s.token_hash, s.principal_entity, s.principal_id, s.login, s.last_seen, 'Role'::text AS role_entity, p1.data->>'roleId' AS role_id FROM s JOIN \"Auth\" p1 ON s.principal_entity = 'Auth' AND p1.id = s.principal_id AND encode(sha256(convert_to(p1.data->>'password', 'UTF8')), 'hex') = ANY(s.credentials)), touched AS (UPDATE events_sessions t SET last_seen = now() FROM p WHERE t.token_hash = p.token_hash AND p.last_seen < now() - make_interval(secs => 60)) SELECT p.principal_entity, p.principal_id, p.login, p.role_id, COALESCE(r0.data->'permissions') AS permissions FROM p LEFT JOIN \"Role\" r0 ON p.role_entity = 'Role' AND r0.id = lower(p.role_id);"

# A cursor after row 49,975 of the id order (the last row of page 1,999 of 25): where page 2,000 starts.
CURSOR=$(curl -s -H "Cookie: sessionId=$TOKEN" "http://localhost:$PORT/api/User?page=1999&pageSize=25&count=none" \
  | sed -n 's/.*"next":"\([A-Za-z0-9_-]*\)".*/\1/p')
[ -n "$CURSOR" ] || { echo "no next cursor on page 1,999" >&2; exit 1; }

# name | URL (query string) | SQL the server runs for it: the session check, then the page with its total.
# SHOWN=... prints another text than the query in the table (for long cursors).
scenario() {
  local name=$1 query=$2 accept=$3 concurrency=$4 defines=${5:-} sqlfile=$WORK/$1.sql shown=${SHOWN:-$2}
  if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then cat > /dev/null; return; fi
  { echo "$SESSION_SQL"; cat; } > "$sqlfile"
  local wrk_rates=() pg_rates=()
  for run in $(seq "$RUNS"); do
    if [ "$accept" = ndjson ]; then
      wrk_out=$(wrk -t2 -c"$concurrency" -d"${DURATION}s" --timeout 60s -H "Cookie: sessionId=$TOKEN" \
        -H 'Accept: application/x-ndjson' "http://localhost:$PORT/api/User?$query")
    else
      wrk_out=$(wrk -t2 -c"$concurrency" -d"${DURATION}s" -H "Cookie: sessionId=$TOKEN" "http://localhost:$PORT/api/User?$query")
    fi
    wrk_rates+=("$(echo "$wrk_out" | awk '/Requests\/sec/ {print $2}')")
    if echo "$wrk_out" | grep -q "Non-2xx"; then echo "non-2xx answers in $name" >&2; exit 1; fi
    pg_rates+=("$(pgbench -n -M prepared -c "$concurrency" -j 2 -T "$DURATION" $defines -f "$sqlfile" "$DB_URI/$DB" 2>/dev/null \
      | awk '/^tps/ {print $3}')")
  done
  stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.1f / %.1f / %.1f", a[1], a[int((NR+1)/2)], a[NR]}'; }
  wrk_median=$(printf '%s\n' "${wrk_rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  pg_median=$(printf '%s\n' "${pg_rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  ratio=$(awk -v a="$wrk_median" -v b="$pg_median" 'BEGIN {printf "%.2f", a / b}')
  printf '| %s | `%s` | %s | %s | %s | %s |\n' "$name" "$shown" "$concurrency" "$(stats "${wrk_rates[@]}")" \
    "$(stats "${pg_rates[@]}")" "$ratio"
}

# Warm-up, not measured: let the JIT compile the request path before the first number.
for q in "filter=accountId:acc-7&sort=netWorth:desc" "filter=lastName:abc" "page=3&pageSize=25"; do
  wrk -t2 -c"$CONCURRENCY" -d10s -H "Cookie: sessionId=$TOKEN" "http://localhost:$PORT/api/User?$q" > /dev/null
done

echo "| scenario | query | connections | server req/s (min / median / max) | pgbench tx/s (min / median / max) | server / pgbench (median) |"
echo "|---|---|---|---|---|---|"
# The SQL below is what the server logs at log_level debug for each query; pgbench binds the -D
# variables as parameters (-M prepared), as the server binds its values.
scenario filter-sort "filter=accountId:acc-42&sort=netWorth:desc&pageSize=25" json "$CONCURRENCY" "-D a=acc-42" <<'SQL'
WITH page AS MATERIALIZED (SELECT id, data FROM "User" WHERE ((data->>'accountId') COLLATE "C") = :a ORDER BY ((data->>'netWorth')::numeric) DESC NULLS LAST, id ASC LIMIT 26 OFFSET 0) SELECT id, data, CASE WHEN (SELECT count(*) FROM page) < 26 THEN 0 + (SELECT count(*) FROM page) ELSE (SELECT count(*) FROM "User" WHERE ((data->>'accountId') COLLATE "C") = :a) END AS total, (((data->>'netWorth')::numeric))::text AS k0, (id)::text AS k1 FROM page ORDER BY ((data->>'netWorth')::numeric) DESC NULLS LAST, id ASC;
SQL
scenario contains-trigram "filter=lastName:abc" json "$CONCURRENCY" "-D p=%abc%" <<'SQL'
WITH page AS MATERIALIZED (SELECT id, data FROM "User" WHERE lower(data->>'lastName') LIKE lower(:p) ESCAPE '\' ORDER BY id ASC LIMIT 26 OFFSET 0) SELECT id, data, CASE WHEN (SELECT count(*) FROM page) < 26 THEN 0 + (SELECT count(*) FROM page) ELSE (SELECT count(*) FROM "User" WHERE lower(data->>'lastName') LIKE lower(:p) ESCAPE '\') END AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
scenario contains-unindexed "filter=lastName:ab" json "$CONCURRENCY" "-D p=%ab%" <<'SQL'
WITH page AS MATERIALIZED (SELECT id, data FROM "User" WHERE lower(data->>'lastName') LIKE lower(:p) ESCAPE '\' ORDER BY id ASC LIMIT 26 OFFSET 0) SELECT id, data, CASE WHEN (SELECT count(*) FROM page) < 26 THEN 0 + (SELECT count(*) FROM page) ELSE (SELECT count(*) FROM "User" WHERE lower(data->>'lastName') LIKE lower(:p) ESCAPE '\') END AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
# Count modes (api.md 11.1) on the same id-ordered page: exact pays count(*) over 100,000 rows,
# estimated plans the count (EXPLAIN, no rows read), none reads one row more than the page.
scenario id-page "page=100&pageSize=25" json "$CONCURRENCY" <<'SQL'
WITH page AS MATERIALIZED (SELECT id, data FROM "User" ORDER BY id ASC LIMIT 26 OFFSET 2475) SELECT id, data, CASE WHEN (SELECT count(*) FROM page) < 26 THEN 2475 + (SELECT count(*) FROM page) ELSE (SELECT count(*) FROM "User") END AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
scenario count-estimated "page=100&pageSize=25&count=estimated" json "$CONCURRENCY" <<'SQL'
WITH page AS MATERIALIZED (SELECT id, data FROM "User" ORDER BY id ASC LIMIT 26 OFFSET 2475) SELECT id, data, NULL::bigint AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
EXPLAIN (FORMAT JSON) SELECT 1 FROM "User";
SQL
scenario count-none "page=100&pageSize=25&count=none" json "$CONCURRENCY" <<'SQL'
WITH page AS MATERIALIZED (SELECT id, data FROM "User" ORDER BY id ASC LIMIT 26 OFFSET 2475) SELECT id, data, NULL::bigint AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
# Page 2,000 of the id order (api.md 11.2), without a total so that only the paging differs: OFFSET
# walks 49,975 rows of the primary key, the cursor starts the scan at its id.
scenario id-page-2000-offset "page=2000&pageSize=25&count=none" json "$CONCURRENCY" <<'SQL'
WITH page AS MATERIALIZED (SELECT id, data FROM "User" ORDER BY id ASC LIMIT 26 OFFSET 49975) SELECT id, data, NULL::bigint AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
SHOWN="after=<next of page 1,999>&pageSize=25&count=none" \
scenario id-page-2000-after "after=$CURSOR&pageSize=25&count=none" json "$CONCURRENCY" "-D c=u049975" <<'SQL'
WITH page AS MATERIALIZED (SELECT id, data FROM "User" WHERE id > :c ORDER BY id ASC LIMIT 26) SELECT id, data, NULL::bigint AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
# Full-text search (api.md 11.3) over User's searchable fields (firstName, lastName, city): a word in
# 100 documents, ordered by relevance, with the exact count of the match.
DOC="(setweight(to_tsvector('simple'::regconfig, COALESCE((data->>'firstName'), '')), 'B') || setweight(to_tsvector('simple'::regconfig, COALESCE((data->>'lastName'), '')), 'B') || setweight(to_tsvector('simple'::regconfig, COALESCE((data->>'city'), '')), 'B'))"
TSQ="websearch_to_tsquery('simple'::regconfig, :q)"
scenario search "search=417" json "$CONCURRENCY" "-D q=417" <<SQL
WITH page AS MATERIALIZED (SELECT id, data FROM "User" WHERE $DOC @@ $TSQ ORDER BY ts_rank($DOC, $TSQ) DESC, id ASC LIMIT 26 OFFSET 0) SELECT id, data, CASE WHEN (SELECT count(*) FROM page) < 26 THEN 0 + (SELECT count(*) FROM page) ELSE (SELECT count(*) FROM "User" WHERE $DOC @@ $TSQ) END AS total, (ts_rank($DOC, $TSQ))::text AS k0, (id)::text AS k1 FROM page ORDER BY ts_rank($DOC, $TSQ) DESC, id ASC;
SQL
# The export reads through a cursor, 500 rows per FETCH, as the server does (api.md 5.5).
{
  echo 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;'
  echo 'DECLARE events_stream NO SCROLL CURSOR FOR SELECT id, data FROM "User" ORDER BY id ASC;'
  for _ in $(seq $((USERS / 500 + 1))); do echo 'FETCH FORWARD 500 FROM events_stream;'; done
  echo 'COMMIT;'
} | scenario export-ndjson "" ndjson "$STREAM_CONCURRENCY"
