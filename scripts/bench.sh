#!/usr/bin/env bash
# Load test of every route: the packaged jar under wrk vs PostgreSQL alone under pgbench running the
# same SQL, at the same connection count, on 100,000 Users. Each scenario runs interleaved rounds
# (wrk, then pgbench, RUNS times) at each of CONCURRENCIES and prints one markdown row per
# concurrency: requests/s (min / median / max of RUNS), the ratio of the medians, p50 / p99 latency,
# the server's CPU per request (from /proc/<pid>/stat) and the errors both tools saw.
#
#   scripts/bench.sh          # needs: target/events-server.jar, wrk, pgbench, psql, and a PostgreSQL
#                             # reachable as $DB_URI whose role may create databases
#   ONLY='get-one|post' RUNS=1 DURATION=5 CONCURRENCIES=16 scripts/bench.sh   # a reduced run
#
# Knobs: RUNS (3), DURATION (6 s per run and tool), CONCURRENCIES ("16 64"), STREAM_CONCURRENCIES
# ("2", the export: every export holds a pooled connection for its whole length and the pool has 20),
# BULK_CONCURRENCIES ("4 16", the bulk-create scenarios), WARMUP (30 s per warmed request type: on 2 cores the JIT needs that long; 5 s left GET one at twice its warm CPU), EXPORT_HEAP (128m), EXPORT_DURATION (DURATION; an export takes
# about a second, so 15 or more gives wrk more than a handful of completed exports per run), USERS (100000), PORT, DB, DB_URI, ONLY,
# IMPORT_ROWS (100000, the import-export scenario: a table of its own after the main one).
# EVENTS_* variables in the environment reach the server as its configuration, e.g. EVENTS_POOL_MAX=4
# (the README's "Pool size and tail latency" run).
#
# What each tool reports: wrk --latency gives p50/p99 of its (coordinated-omission corrected) latency
# histogram; pgbench's p50/p99 are computed here from its per-transaction log (-l), which costs it a
# little throughput. A pgbench transaction is one server request except for delete-post, where it is
# the pair (its req/s counts 2 per transaction, its latency is the pair's).
set -euo pipefail
cd "$(dirname "$0")/.."
# wrk, pgbench and the README's PostgreSQL (SKIP_SETUP=1 when they are already there).
[ -n "${SKIP_SETUP:-}" ] || scripts/bench-setup.sh
DB_URI=${DB_URI:-postgresql://events:events@localhost:5432}
DB=${DB:-events_bench}
USERS=${USERS:-100000}
CONCURRENCIES=${CONCURRENCIES:-${CONCURRENCY:-16 64}}
STREAM_CONCURRENCIES=${STREAM_CONCURRENCIES:-${STREAM_CONCURRENCY:-2}}
DURATION=${DURATION:-6}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-30}
PORT=${PORT:-5600}
ONLY=${ONLY:-}
EXPORT_HEAP=${EXPORT_HEAP:-128m}
EXPORT_DURATION=${EXPORT_DURATION:-$DURATION}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
BULK_CONCURRENCIES=${BULK_CONCURRENCIES:-4 16}
PUT_POOL=${PUT_POOL:-10000}
# Accounts the delete-post scenario deletes, each once (ids 10000000 + n); sized for ~3,000 deletes/s.
DELETE_POOL=${DELETE_POOL:-$(( 3000 * DURATION * RUNS * $(wc -w <<< "$CONCURRENCIES") + 20000 ))}
MAX_CONC=$(tr ' ' '\n' <<< "$CONCURRENCIES" | sort -n | tail -1)
export USERS PUT_POOL WRK_THREADS=2
WORK=$(mktemp -d)
SERVER=
trap '[ -z "$SERVER" ] || kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
TICKS=$(getconf CLK_TCK)

start_server() {  # JVM options...
  EVENTS_DB_URI=$DB_URI EVENTS_DB_NAME=$DB EVENTS_SERVER_PORT=$PORT EVENTS_LOG_LEVEL=warn EVENTS_DATA_DIR=$WORK/data \
    java "$@" -jar target/events-server.jar >> "$WORK/server.log" 2>&1 &
  SERVER=$!
  until curl -sf "http://localhost:$PORT/actuator/health" > /dev/null; do
    kill -0 "$SERVER" 2> /dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.5
  done
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2> /dev/null || true; SERVER=; }

psql -q "$DB_URI/postgres" -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null
start_server

# Bulk load straight into the tables (bypassing the API keeps loading fast; passwords are not hashes).
# Users are 1000001 .. 1000000+USERS (all the same width, so id order is numeric order, and pgbench
# can draw them with random()); Accounts acc-0 .. acc-499 are referenced by the Users, 2000001 ..
# 2000000+PUT_POOL are replaced by the PUT scenario, 10000000+n are deleted once each by delete-post
# (server side), 50000000 + client * 10000 + 0..999 are deleted and re-inserted by its pgbench twin.
psql -q "$DB_URI/$DB" <<SQL
INSERT INTO "Account" (id, data) SELECT 'acc-' || i, jsonb_build_object('name', 'Account ' || i, 'enabled', true)
  FROM generate_series(0, 499) AS i;
INSERT INTO "Account" (id, data) SELECT (2000000 + i)::text, jsonb_build_object('name', 'Account ' || i, 'enabled', true,
  'createdAt', '2026-01-01', 'updatedAt', '2026-01-01T00:00:00.000Z') FROM generate_series(1, $PUT_POOL) AS i;
INSERT INTO "Account" (id, data) SELECT (10000000 + i)::text, jsonb_build_object('name', 'Account ' || i, 'enabled', true,
  'createdAt', '2026-01-01', 'updatedAt', '2026-01-01T00:00:00.000Z') FROM generate_series(0, $DELETE_POOL - 1) AS i;
INSERT INTO "Account" (id, data) SELECT (50000000 + c * 10000 + i)::text, jsonb_build_object('name', 'Account ' || i,
  'enabled', true, 'createdAt', '2026-01-01', 'updatedAt', '2026-01-01T00:00:00.000Z')
  FROM generate_series(0, $MAX_CONC - 1) AS c, generate_series(0, 999) AS i;
INSERT INTO "Role" (id, data) VALUES ('role-1', '{"role": "bench", "permissions": {"*": "r"}}');
INSERT INTO "User" (id, data) SELECT (1000000 + i)::text, jsonb_build_object(
  'username', 'user_' || lpad(i::text, 6, '0'), 'email', 'user' || i || '@example.com', 'password', 'x',
  'firstName', 'First', 'lastName', md5(i::text), 'isAccountOwner', i % 2 = 0,
  'netWorth', (i * 7919) % 10000000, 'dob', (date '1950-01-01' + (i % 20000))::text,
  'city', 'City ' || (i % 1000), 'accountId', 'acc-' || (i % 500), 'roleId', 'role-1',
  'createdAt', '2026-01-01', 'updatedAt', '2026-01-01T00:00:00.000Z')
  FROM generate_series(1, $USERS) AS i;
VACUUM ANALYZE "User";
VACUUM ANALYZE "Account";
SQL

# Two principals made with the first-login command (the server is running: fine on a PostgreSQL of
# your own): a reader for the GETs and a writer ({"*": "cruds"}) for the writes. Every measured
# request carries its session, as real clients do.
login() {  # name, permissions -> session token
  EVENTS_DB_URI=$DB_URI EVENTS_DB_NAME=$DB java -jar target/events-server.jar create Role \
    "{\"id\": \"$1\", \"role\": \"Bench $1\", \"permissions\": {\"*\": \"$2\"}}" > /dev/null 2>&1
  EVENTS_DB_URI=$DB_URI EVENTS_DB_NAME=$DB java -jar target/events-server.jar create Auth \
    "{\"name\": \"$1\", \"password\": \"bench-password\", \"roleId\": \"$1\"}" > /dev/null 2>&1
  curl -s -D - -o /dev/null -X POST "http://localhost:$PORT/api/login" -H 'Content-Type: application/json' \
    -d "{\"login\": \"$1\", \"password\": \"bench-password\"}" | sed -n 's/^[Ss]et-[Cc]ookie: sessionId=\([^;]*\).*/\1/p'
}
READER=$(login bench r)
WRITER=$(login benchw cruds)
[ -n "$READER" ] && [ -n "$WRITER" ] || { echo "login failed" >&2; exit 1; }
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
# The session check every gated request runs first, as the server logs it; pgbench binds the token
# hash and the idle / max-age / slack seconds (3600, 28800, 60) as the server does.
SESSION_SQL="WITH s AS (SELECT token_hash, principal_entity, principal_id, login, credentials, last_seen FROM events_sessions WHERE token_hash = :th AND last_seen > now() - make_interval(secs => :idle) AND created_at > now() - make_interval(secs => :maxage)), p AS (SELECT s.token_hash, s.principal_entity, s.principal_id, s.login, s.last_seen, 'Role'::text AS role_entity, p0.data->>'roleId' AS role_id FROM s JOIN \"User\" p0 ON s.principal_entity = 'User' AND p0.id = s.principal_id AND encode(sha256(convert_to(p0.data->>'password', 'UTF8')), 'hex') = ANY(s.credentials) UNION ALL SELECT s.token_hash, s.principal_entity, s.principal_id, s.login, s.last_seen, 'Role'::text AS role_entity, p1.data->>'roleId' AS role_id FROM s JOIN \"Auth\" p1 ON s.principal_entity = 'Auth' AND p1.id = s.principal_id AND encode(sha256(convert_to(p1.data->>'password', 'UTF8')), 'hex') = ANY(s.credentials)), touched AS (UPDATE events_sessions t SET last_seen = now() FROM p WHERE t.token_hash = p.token_hash AND p.last_seen < now() - make_interval(secs => :slack)) SELECT p.principal_entity, p.principal_id, p.login, p.role_id, COALESCE(r0.data->'permissions') AS permissions FROM p LEFT JOIN \"Role\" r0 ON p.role_entity = 'Role' AND r0.id = lower(p.role_id);"

# GET one runs the session check and the read as one statement: the check's CTEs, its select as one
# more CTE, and the document left-joined to it (one row whether or not either exists).
SESSION_CTES=${SESSION_SQL%% SELECT p.principal_entity*}
SESSION_SELECT="SELECT p.principal_entity${SESSION_SQL#* SELECT p.principal_entity}"
SESSION_AND_FIND_USER="$SESSION_CTES, session AS (${SESSION_SELECT%;}) SELECT session.*, d.id, d.data, d.version FROM (SELECT 1) AS one LEFT JOIN session ON true LEFT JOIN \"User\" d ON d.id = :id;"

# List pages run the same way (when no replica serves lists): the check's CTEs, the page gated by
# EXISTS (SELECT 1 FROM session), the session's columns next to each row. A body marked
# '-- merged-page' is the page as the server ran it alone; merged_page makes it the server's statement.
GATE='EXISTS (SELECT 1 FROM session)'
merged_page() {
  local b; b=$(cat)
  b=${b//'-- merged-page'/'-- merged'}
  b=${b//' FROM "User" WHERE '/" FROM \"User\" WHERE $GATE AND "}
  b=${b//' FROM "User" ORDER BY'/" FROM \"User\" WHERE $GATE ORDER BY"}
  b=${b//'(SELECT count(*) FROM "User")'/"(SELECT count(*) FROM \"User\" WHERE $GATE)"}
  b=${b//') SELECT id, data, '/') SELECT session.*, page.id, page.data, '}
  b=${b//' FROM page ORDER BY'/' FROM (SELECT 1) AS one LEFT JOIN session ON true LEFT JOIN page ON true ORDER BY'}
  b=${b//'WITH page AS MATERIALIZED ('/"$SESSION_CTES, session AS (${SESSION_SELECT%;}), page AS MATERIALIZED ("}
  printf '%s\n' "$b"
}

# A cursor after row 49,975 of the id order (the last row of page 1,999 of 25): where page 2,000 starts.
CURSOR=$(curl -s -H "Cookie: sessionId=$READER" "http://localhost:$PORT/api/User?page=1999&pageSize=25&count=none" \
  | sed -n 's/.*"next":"\([A-Za-z0-9_-]*\)".*/\1/p')
[ -n "$CURSOR" ] || { echo "no next cursor on page 1,999" >&2; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "nan")}'; }
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.1f / %.1f / %.1f", a[1], a[int((NR+1)/2)], a[NR]}'; }
to_ms() { awk '{v=$1; u=v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
  printf "%.2f\n", (u=="us" ? v/1000 : u=="ms" ? v : u=="s" ? v*1000 : u=="m" ? v*60000 : v)}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

# scenario NAME SHOWN SESSION(reader|writer) PER_TX CONNECTIONS WRK_ARGS... ; the pgbench script on
# stdin (the session check is prepended), its -D values in the array DEFS. PER_TX: server requests
# per pgbench transaction. ROWS (documents per request) makes an export row show documents/s.
DEFS=()
scenario() {
  local name=$1 shown=$2 who=$3 per_tx=$4 conns=$5; shift 5
  if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then cat > /dev/null; return; fi
  local token=$READER; [ "$who" = writer ] && token=$WRITER
  local script=$WORK/$name.sql body
  body=$(cat)
  if grep -q '^-- merged-page$' <<< "$body"; then body=$(merged_page <<< "$body"); fi
  # Every request runs the session check first; a pair runs it before each of its two statements; a
  # body marked '-- merged' already holds it (GET one: the check and the read are one statement).
  awk -v s="$SESSION_SQL" '/^\\/ {print; next} /^-- request$/ {print s; next} {print}' <<< "$body" > "$script"
  grep -q '^-- request$\|^-- merged$' <<< "$body" \
    || { grep '^\\' <<< "$body" || true; echo "$SESSION_SQL"; grep -v '^\\' <<< "$body" || true; } > "$script"
  local pgdefs=(-D "th=$(sha "$token")" -D idle=3600 -D maxage=28800 -D slack=60 "${DEFS[@]}")
  local c
  for c in $conns; do
    local wrk_rates=() pg_rates=() wrk_p50=() wrk_p99=() pg_p50=() pg_p99=() cpu=() mbs=() errs_w=0 errs_p=0 run
    for run in $(seq "$RUNS"); do
      local t0 t1 out
      t0=$(cpu_ticks)
      out=$(wrk -t2 -c"$c" -d"${DURATION}s" --latency --timeout "$WRK_TIMEOUT" -H "Cookie: sessionId=$token" "$@" 2>&1 || true)
      t1=$(cpu_ticks)
      echo "$out" >> "$WORK/$name-$c.wrk"
      local reqs
      reqs=$(awk '/requests in/ {print $1}' <<< "$out")
      wrk_rates+=("$(awk '/Requests\/sec/ {print $2}' <<< "$out")")
      wrk_p50+=("$(awk '$1 == "50%" {print $2}' <<< "$out" | to_ms)")
      wrk_p99+=("$(awk '$1 == "99%" {print $2}' <<< "$out" | to_ms)")
      mbs+=("$(awk '/Transfer\/sec/ {v=$2; u=v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+$/, "", v);
        print (u=="GB" ? v*1024 : u=="MB" ? v : u=="KB" ? v/1024 : v/1048576)}' <<< "$out")")
      cpu+=("$(awk -v d=$((t1 - t0)) -v t="$TICKS" -v r="${reqs:-0}" 'BEGIN {printf "%.3f", (r ? d * 1000 / t / r : 0)}')")
      errs_w=$((errs_w + $(awk '/Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} /Non-2xx/ {n += $NF} END {print n + 0}' <<< "$out")))
      [ "$name" != delete-post ] || DELETE_START=$((DELETE_START + reqs + 1000))
      export DELETE_START
      rm -f "$WORK"/pglog*
      local rc=0
      out=$(cd "$WORK" && pgbench -n -M prepared -c "$c" -j 2 -T "$DURATION" -l --log-prefix=pglog "${pgdefs[@]}" \
        -f "$script" "$DB_URI/$DB" 2>&1) || rc=$?
      echo "$out" >> "$WORK/$name-$c.pgbench"
      pg_rates+=("$(awk -v k="$per_tx" '/^tps/ {print $3 * k}' <<< "$out")")
      read -r p50 p99 < <(cat "$WORK"/pglog* 2>/dev/null | awk '{print $3 / 1000}' | sort -g \
        | awk '{a[NR]=$1} END {if (NR) printf "%.2f %.2f\n", a[int(NR*0.5+0.5)], a[int(NR*0.99+0.5)]; else print "nan nan"}')
      pg_p50+=("$p50"); pg_p99+=("$p99")
      errs_p=$((errs_p + $(awk '/number of failed transactions/ {n += $5} /aborted/ {n++} END {print n + 0}' <<< "$out") + (rc ? 1 : 0)))
      if [ "$rc" != 0 ]; then echo "pgbench failed in $name at $c connections:" >&2; tail -5 <<< "$out" >&2; fi
    done
    local wm pm
    wm=$(printf '%s\n' "${wrk_rates[@]}" | median); pm=$(printf '%s\n' "${pg_rates[@]}" | median)
    local cpu_m; cpu_m=$(printf '%s\n' "${cpu[@]}" | median)
    local extra=""
    if [ -n "${ROWS:-}" ]; then
      extra=" — $(awk -v r="$wm" -v n="$ROWS" 'BEGIN {printf "%.0f", r * n}') documents/s, $(printf '%s\n' "${mbs[@]}" | median | awk '{printf "%.1f", $1}') MB/s; pgbench $(awk -v r="$pm" -v n="$ROWS" 'BEGIN {printf "%.0f", r * n}') rows/s"
    fi
    printf '| %s | %s%s | %s | %s | %s | %s | %s / %s | %s / %s | %s (%s/s per core) | %s / %s |\n' "$name" "$shown" "$extra" "$c" \
      "$(stats "${wrk_rates[@]}")" "$(stats "${pg_rates[@]}")" \
      "$(awk -v a="$wm" -v b="$pm" 'BEGIN {printf "%.2f", (b ? a / b : 0)}')" \
      "$(printf '%s\n' "${wrk_p50[@]}" | median)" "$(printf '%s\n' "${wrk_p99[@]}" | median)" \
      "$(printf '%s\n' "${pg_p50[@]}" | median)" "$(printf '%s\n' "${pg_p99[@]}" | median)" \
      "$cpu_m" "$(awk -v m="$cpu_m" 'BEGIN {printf "%.0f", (m > 0 ? 1000 / m : 0)}')" "$errs_w" "$errs_p"
  done
  DEFS=()
}
DELETE_START=0
URL=http://localhost:$PORT

# Warm-up, not measured: let the JIT compile the request paths before the first number.
warm() { wrk -t2 -c16 -d"${WARMUP}s" --timeout "$WRK_TIMEOUT" "$@" > /dev/null; }
if [ "$WARMUP" != 0 ]; then
  warm -H "Cookie: sessionId=$READER" -s bench/get-one.lua "$URL"
  for q in "filter=accountId:acc-7&sort=netWorth:desc" "filter=lastName:abc" "page=3&pageSize=25&count=none"; do
    warm -H "Cookie: sessionId=$READER" "$URL/api/User?$q"
  done
  warm -H "Cookie: sessionId=$WRITER" -s bench/post-account.lua "$URL/api/Account"
  warm -H "Cookie: sessionId=$WRITER" -s bench/put-account.lua "$URL"
fi

echo "| scenario | request | connections | server req/s (min / median / max) | pgbench req/s (min / median / max) | server / pgbench (median) | server p50 / p99 ms | pgbench p50 / p99 ms | server CPU ms per request (req/s per core) | errors + timeouts: server / pgbench |"
echo "|---|---|---|---|---|---|---|---|---|---|"

# Below, the SQL is what the server logs at log_level debug for each request (events.db.postgresql.
# Statements, "SQL: ..."), its $n replaced by pgbench :variables, which -M prepared binds as
# parameters as the server binds its values.

# GET one: a random id of the loaded range.
scenario get-one '`GET /api/User/{random id}`' reader 1 "$CONCURRENCIES" -s bench/get-one.lua "$URL" <<SQL
\set id 1000000 + random(1, $USERS)
-- merged
$SESSION_AND_FIND_USER
SQL

# Lists (pageSize 25: the server asks for 26 rows to know whether a next page exists).
DEFS=(-D a=acc-42 -D lim=26 -D off=0)
scenario filter-sort '`GET /api/User?filter=accountId:acc-42&sort=netWorth:desc&pageSize=25`' reader 1 "$CONCURRENCIES" \
  "$URL/api/User?filter=accountId:acc-42&sort=netWorth:desc&pageSize=25" <<'SQL'
-- merged-page
WITH page AS MATERIALIZED (SELECT id, data FROM "User" WHERE ((data->>'accountId') COLLATE "C") = :a ORDER BY ((data->>'netWorth')::numeric) DESC NULLS LAST, id ASC LIMIT :lim OFFSET :off) SELECT id, data, CASE WHEN (SELECT count(*) FROM page) < :lim THEN :off + (SELECT count(*) FROM page) ELSE (SELECT count(*) FROM "User" WHERE ((data->>'accountId') COLLATE "C") = :a) END AS total, (((data->>'netWorth')::numeric))::text AS k0, (id)::text AS k1 FROM page ORDER BY ((data->>'netWorth')::numeric) DESC NULLS LAST, id ASC;
SQL
CONTAINS=$(cat <<'SQL'
-- merged-page
WITH page AS MATERIALIZED (SELECT id, data FROM "User" WHERE lower(data->>'lastName') LIKE lower(:p) ESCAPE '\' ORDER BY id ASC LIMIT :lim OFFSET :off) SELECT id, data, CASE WHEN (SELECT count(*) FROM page) < :lim THEN :off + (SELECT count(*) FROM page) ELSE (SELECT count(*) FROM "User" WHERE lower(data->>'lastName') LIKE lower(:p) ESCAPE '\') END AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
)
DEFS=(-D p=%abc% -D lim=26 -D off=0)
scenario contains-trigram '`GET /api/User?filter=lastName:abc`' reader 1 "$CONCURRENCIES" "$URL/api/User?filter=lastName:abc" <<< "$CONTAINS"
# Two characters hold no trigram: the server writes strpos (a text of its own, which the trigram index
# cannot serve), not LIKE.
DEFS=(-D p=ab -D lim=26 -D off=0)
scenario contains-unindexed '`GET /api/User?filter=lastName:ab` (2 characters: a full scan)' reader 1 "$CONCURRENCIES" \
  "$URL/api/User?filter=lastName:ab" <<< "$(sed "s/lower(data->>'lastName') LIKE lower(:p) ESCAPE '\\\\'/strpos(lower(data->>'lastName'), lower(:p::text)) > 0/g" <<< "$CONTAINS")"
# Count modes (api.md 11.1) on the same id-ordered page: exact pays count(*) over 100,000 rows,
# estimated plans the count (EXPLAIN, no rows read), none reads one row more than the page.
DEFS=(-D lim=26 -D off=2475)
scenario id-page-exact '`GET /api/User?page=100&pageSize=25&count=exact`' reader 1 "$CONCURRENCIES" \
  "$URL/api/User?page=100&pageSize=25&count=exact" <<'SQL'
-- merged-page
WITH page AS MATERIALIZED (SELECT id, data FROM "User" ORDER BY id ASC LIMIT :lim OFFSET :off) SELECT id, data, CASE WHEN (SELECT count(*) FROM page) < :lim THEN :off + (SELECT count(*) FROM page) ELSE (SELECT count(*) FROM "User") END AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
DEFS=(-D lim=26 -D off=2475)
scenario id-page-estimated '`GET /api/User?page=100&pageSize=25&count=estimated`' reader 1 "$CONCURRENCIES" \
  "$URL/api/User?page=100&pageSize=25&count=estimated" <<'SQL'
-- merged-page
WITH page AS MATERIALIZED (SELECT id, data FROM "User" ORDER BY id ASC LIMIT :lim OFFSET :off) SELECT id, data, NULL::bigint AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
EXPLAIN (FORMAT JSON) SELECT 1 FROM "User";
SQL
DEFS=(-D lim=26 -D off=2475)
scenario id-page-none '`GET /api/User?page=100&pageSize=25&count=none`' reader 1 "$CONCURRENCIES" \
  "$URL/api/User?page=100&pageSize=25&count=none" <<'SQL'
-- merged-page
WITH page AS MATERIALIZED (SELECT id, data FROM "User" ORDER BY id ASC LIMIT :lim OFFSET :off) SELECT id, data, NULL::bigint AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
# Page 2,000 of the id order (api.md 11.2), without a total so that only the paging differs: OFFSET
# walks 49,975 rows of the primary key, the cursor starts the scan at its id.
DEFS=(-D lim=26 -D off=49975)
scenario id-page-2000-offset '`GET /api/User?page=2000&pageSize=25&count=none`' reader 1 "$CONCURRENCIES" \
  "$URL/api/User?page=2000&pageSize=25&count=none" <<'SQL'
-- merged-page
WITH page AS MATERIALIZED (SELECT id, data FROM "User" ORDER BY id ASC LIMIT :lim OFFSET :off) SELECT id, data, NULL::bigint AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
DEFS=(-D c=1049975 -D lim=26)
scenario id-page-2000-after '`GET /api/User?after=<next of page 1,999>&pageSize=25&count=none`' reader 1 "$CONCURRENCIES" \
  "$URL/api/User?after=$CURSOR&pageSize=25&count=none" <<'SQL'
-- merged-page
WITH page AS MATERIALIZED (SELECT id, data FROM "User" WHERE id > :c ORDER BY id ASC LIMIT :lim) SELECT id, data, NULL::bigint AS total, (id)::text AS k0 FROM page ORDER BY id ASC;
SQL
# Full-text search (api.md 11.3) over User's searchable fields (firstName, lastName, city): a word in
# 100 documents, ordered by relevance, with the exact count of the match.
DOC="(setweight(to_tsvector('simple'::regconfig, COALESCE((data->>'firstName'), '')), 'B') || setweight(to_tsvector('simple'::regconfig, COALESCE((data->>'lastName'), '')), 'B') || setweight(to_tsvector('simple'::regconfig, COALESCE((data->>'city'), '')), 'B'))"
TSQ="websearch_to_tsquery('simple'::regconfig, :q)"
DEFS=(-D q=417 -D lim=26 -D off=0)
scenario search '`GET /api/User?search=417`' reader 1 "$CONCURRENCIES" "$URL/api/User?search=417" <<SQL
-- merged-page
WITH page AS MATERIALIZED (SELECT id, data FROM "User" WHERE $DOC @@ $TSQ ORDER BY ts_rank($DOC, $TSQ) DESC, id ASC LIMIT :lim OFFSET :off) SELECT id, data, CASE WHEN (SELECT count(*) FROM page) < :lim THEN :off + (SELECT count(*) FROM page) ELSE (SELECT count(*) FROM "User" WHERE $DOC @@ $TSQ) END AS total, (ts_rank($DOC, $TSQ))::text AS k0, (id)::text AS k1 FROM page ORDER BY ts_rank($DOC, $TSQ) DESC, id ASC;
SQL

# Writes, with the writer's session. The twins bind the document the server would store (the server
# binds it as jsonb; pgbench's untyped parameter needs the ::jsonb cast the server's SQL lacks).
NOW_DAY=$(date -u +%F); NOW_TS=$(date -u +%FT%T.000Z)
ACCOUNT_DOC="{\"name\": \"Bench account\", \"credit\": 12.5, \"enabled\": true, \"createdAt\": \"$NOW_DAY\", \"updatedAt\": \"$NOW_TS\"}"
INSERT_ACCOUNT='WITH fk AS (SELECT array_remove(ARRAY[]::text[], NULL) AS missing), written AS (INSERT INTO "Account" (id, data) SELECT :id, :data::jsonb FROM fk WHERE cardinality(fk.missing) = 0 RETURNING id, data, version) SELECT fk.missing, true AS found, written.id, written.data, written.version FROM fk LEFT JOIN written ON true;'
DEFS=(-D "data=$ACCOUNT_DOC")
scenario post-account '`POST /api/Account` (no secret field)' writer 1 "$CONCURRENCIES" -s bench/post-account.lua "$URL/api/Account" <<SQL
\set id random(1000000000000000, 8999999999999999)
$INSERT_ACCOUNT
SQL
DEFS=(-D "data={\"name\": \"Replaced account\", \"credit\": 7.5, \"enabled\": true, \"updatedAt\": \"$NOW_TS\"}" -D 'keep={createdAt}')
scenario put-account '`PUT /api/Account/{random id}` (replace)' writer 1 "$CONCURRENCIES" -s bench/put-account.lua "$URL" <<SQL
\set id 2000000 + random(1, $PUT_POOL)
WITH fk AS (SELECT array_remove(ARRAY[]::text[], NULL) AS missing), written AS (UPDATE "Account" AS t SET data = :data::jsonb || COALESCE((SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(t.data) AS e WHERE e.key = ANY(:keep)), '{}'::jsonb), version = nextval('events_versions') FROM fk WHERE t.id = :id AND cardinality(fk.missing) = 0 RETURNING t.id, t.data, t.version) SELECT fk.missing, EXISTS (SELECT 1 FROM "Account" WHERE id = :id) AS found, written.id, written.data, written.version FROM fk LEFT JOIN written ON true;
SQL
# Pairs: the server deletes a preloaded Account, then posts a new one; the twin deletes one of its
# client's 1,000 Accounts and inserts it again (each pgbench client owns its ids, so no conflicts).
DEFS=(-D "data=$ACCOUNT_DOC")
scenario delete-post '`DELETE /api/Account/{id}` + `POST /api/Account`, alternating (pgbench: both per transaction)' writer 2 \
  "$CONCURRENCIES" -s bench/delete-post.lua "$URL" <<SQL
\set id 50000000 + :client_id * 10000 + random(0, 999)
-- request
DELETE FROM "Account" WHERE id = :id RETURNING id, data, version;
-- request
$INSERT_ACCOUNT
SQL
# POST User: the server hashes the password with bcrypt; the twin binds an already hashed document
# (username and email unique, made from a random number).
BCRYPT='$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'
DEFS=(-D acc=acc-1 -D role=role-1 -D 'd1={"username": "p' -D 'd2=", "email": "p'
  -D "d3=@example.com\", \"password\": \"$BCRYPT\", \"firstName\": \"Bench\", \"lastName\": \"Writer\", \"isAccountOwner\": false, \"accountId\": \"acc-1\", \"roleId\": \"role-1\", \"createdAt\": \"$NOW_DAY\", \"updatedAt\": \"$NOW_TS\"}")
scenario post-user '`POST /api/User` (bcrypt of the password)' writer 1 "$CONCURRENCIES" -s bench/post-user.lua "$URL" <<'SQL'
\set n random(1000000000000000, 8999999999999999)
WITH fk AS (SELECT array_remove(ARRAY[CASE WHEN EXISTS (SELECT 1 FROM "Account" r WHERE r.id = :acc FOR KEY SHARE) THEN NULL ELSE 'accountId' END, CASE WHEN EXISTS (SELECT 1 FROM "Role" r WHERE r.id = :role FOR KEY SHARE) THEN NULL ELSE 'roleId' END]::text[], NULL) AS missing), written AS (INSERT INTO "User" (id, data) SELECT :n, (:d1::text || :n || :d2 || :n || :d3)::jsonb FROM fk WHERE cardinality(fk.missing) = 0 RETURNING id, data, version) SELECT fk.missing, true AS found, written.id, written.data, written.version FROM fk LEFT JOIN written ON true;
SQL
# Bulk create (api.md 12.1): documents/s of one POST of an array of 100 or 1000 Accounts against single
# POSTs, at BULK_CONCURRENCIES. The twin runs the server's transaction: one INSERT ... SELECT FROM
# jsonb_array_elements of the whole array (Account has no foreign key, so no check statement), its
# array built in SQL with random ids.
bulk_scenarios() {
  local n
  if [ -n "$ONLY" ] && ! [[ bulk =~ $ONLY ]]; then return; fi
  if [ "$WARMUP" != 0 ]; then
    warm -H "Cookie: sessionId=$WRITER" -s bench/post-account.lua "$URL/api/Account"
    warm -H "Cookie: sessionId=$WRITER" -s bench/post-accounts-bulk.lua "$URL/api/Account" -- 100
  fi
  DEFS=(-D "data=$ACCOUNT_DOC")
  ROWS=1 scenario bulk-single '`POST /api/Account`, one document per request' writer 1 "$BULK_CONCURRENCIES" \
    -s bench/post-account.lua "$URL/api/Account" <<SQL
\set id random(1000000000000000, 8999999999999999)
$INSERT_ACCOUNT
SQL
  for n in 100 1000; do
    DEFS=(-D "data=$ACCOUNT_DOC" -D "n=$n")
    ROWS=$n scenario "bulk-$n" "\`POST /api/Account\` with an array of $n documents" writer 1 "$BULK_CONCURRENCIES" \
      -s bench/post-accounts-bulk.lua "$URL/api/Account" -- "$n" <<'SQL'
BEGIN;
INSERT INTO "Account" (id, data) SELECT d.x->>'id', d.x->'data' FROM jsonb_array_elements((SELECT jsonb_agg(jsonb_build_object('id', md5(random()::text || :client_id), 'data', :data::jsonb)) FROM generate_series(1, :n))) WITH ORDINALITY AS d(x, n) ORDER BY d.n ON CONFLICT DO NOTHING RETURNING id, data, version;
COMMIT;
SQL
  done
}
bulk_scenarios
# Back to the loaded 100,000 Users for the export.
psql -q "$DB_URI/$DB" -c "DELETE FROM \"User\" WHERE id !~ '^1[0-9]{6}\$'" -c 'VACUUM ANALYZE "User"' -c 'VACUUM ANALYZE "Account"'

# The export, with the server restarted at -Xmx$EXPORT_HEAP (sessions live in PostgreSQL and survive).
# It reads through a cursor, 500 rows per FETCH, as the server does (api.md 5.5).
if [ -z "$ONLY" ] || [[ export-ndjson =~ $ONLY ]]; then
  stop_server
  start_server "-Xmx$EXPORT_HEAP"
  [ "$WARMUP" = 0 ] || warm -c2 -H "Cookie: sessionId=$READER" -H 'Accept: application/x-ndjson' "$URL/api/User"
fi
{
  echo 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;'
  echo 'DECLARE events_stream NO SCROLL CURSOR FOR SELECT id, data FROM "User" ORDER BY id ASC;'
  for _ in $(seq $((USERS / 500 + 1))); do echo 'FETCH FORWARD 500 FROM events_stream;'; done
  echo 'COMMIT;'
} | ROWS=$USERS DURATION=$EXPORT_DURATION scenario export-ndjson "\`GET /api/User\`, \`Accept: application/x-ndjson\` ($USERS documents, -Xmx$EXPORT_HEAP)" \
  reader 1 "$STREAM_CONCURRENCIES" -H 'Accept: application/x-ndjson' "$URL/api/User"

# Import and export (api.md 12.2, 12.3): IMPORT_ROWS Accounts (no secret field, ids imp-0000000 ...)
# imported over HTTP (POST /api/Account/_import, the server warm) and by the jar's import command (a new
# JVM each time: its start is in the figure), next to PostgreSQL's COPY FROM STDIN of the very rows the
# import stored, into the same table with the same indexes; then exported by the jar's export command
# and over HTTP (the NDJSON stream) next to COPY (SELECT ...) TO STDOUT of the same rows. Interleaved rounds, each starting from a table
# without these rows; one markdown table of its own, with the load average before and after.
import_export_scenarios() {
  if [ -n "$ONLY" ] && ! [[ import-export =~ $ONLY ]]; then return; fi
  local n=${IMPORT_ROWS:-100000} file=$WORK/import.ndjson rows=$WORK/import.copy out=$WORK/export.ndjson
  local range="id >= 'imp-' AND id < 'imp.'" filter="id:gte:imp-,id:lt:imp."
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\": \"imp-%07d\", \"name\": \"Imported account %d\", \"credit\": %d.%02d, \"expireDate\": \"2027-%02d-%02d\", \"enabled\": %s}\n", i, i, i % 100000, i % 100, i % 12 + 1, i % 28 + 1, (i % 3 ? "true" : "false") }' > "$file"
  wipe() { psql -q "$DB_URI/$DB" -c "DELETE FROM \"Account\" WHERE $range" -c 'VACUUM ANALYZE "Account"'; }
  now() { date +%s%N; }
  rate() { awk -v n="$n" -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", n / ((b - a) / 1e9)}'; }
  local http=() command=() command_stream=() copy_in=() export_wall=() export_stream=() export_http=() copy_out=()
  local t0 t1 answer log
  local load_before
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  wipe
  [ "$WARMUP" = 0 ] || { curl -s -o /dev/null -b "sessionId=$WRITER" -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$file" "$URL/api/Account/_import"; wipe; }
  for _ in $(seq "$RUNS"); do
    t0=$(now)
    answer=$(curl -s -b "sessionId=$WRITER" -H 'Content-Type: application/x-ndjson' --data-binary @"$file" "$URL/api/Account/_import")
    t1=$(now)
    grep -q "\"created\":$n," <<< "$answer" || { echo "import over HTTP failed: ${answer:0:300}" >&2; exit 1; }
    http+=("$(rate "$t0" "$t1")")
    [ -s "$rows" ] || psql -q "$DB_URI/$DB" -c "\\copy (SELECT id, data FROM \"Account\" WHERE $range ORDER BY id) TO '$rows'"
    t0=$(now)
    log=$(EVENTS_DB_URI=$DB_URI EVENTS_DB_NAME=$DB java -jar target/events-server.jar export Account "$out" --filter "$filter" 2>&1)
    t1=$(now)
    [ "$(wc -l < "$out")" = "$n" ] || { echo "export command failed: ${log: -300}" >&2; exit 1; }
    export_wall+=("$(rate "$t0" "$t1")")
    export_stream+=("$(grep -o '[0-9,]*/s' <<< "$log" | tail -1 | tr -d ',/s')")
    t0=$(now)
    curl -s -b "sessionId=$WRITER" -H 'Accept: application/x-ndjson' "$URL/api/Account?filter=$filter" > "$out"
    t1=$(now)
    [ "$(wc -l < "$out")" = "$n" ] || { echo "export over HTTP failed: $(head -c 300 "$out")" >&2; exit 1; }
    export_http+=("$(rate "$t0" "$t1")")
    t0=$(now)
    psql -q "$DB_URI/$DB" -c "COPY (SELECT id, data FROM \"Account\" WHERE $range ORDER BY id) TO STDOUT" > /dev/null
    t1=$(now)
    copy_out+=("$(rate "$t0" "$t1")")
    wipe
    t0=$(now)
    psql -q "$DB_URI/$DB" -c "COPY \"Account\" (id, data) FROM STDIN" < "$rows"
    t1=$(now)
    copy_in+=("$(rate "$t0" "$t1")")
    wipe
    t0=$(now)
    log=$(EVENTS_DB_URI=$DB_URI EVENTS_DB_NAME=$DB java -jar target/events-server.jar import Account "$file" 2>&1 > /dev/null)
    t1=$(now)
    grep -q "$n documents created, 0 lines failed" <<< "$log" || { echo "import command failed: ${log: -300}" >&2; exit 1; }
    command+=("$(rate "$t0" "$t1")")
    command_stream+=("$(grep -o '[0-9,]*/s' <<< "$log" | tail -1 | tr -d ',/s')")
    wipe
  done
  local ci ce
  ci=$(printf '%s\n' "${copy_in[@]}" | median); ce=$(printf '%s\n' "${copy_out[@]}" | median)
  ratio() { awk -v a="$(printf '%s\n' "$@" | median)" -v b="$ratio_of" 'BEGIN {printf "%.2f", a / b}'; }
  echo
  echo "Import and export of $n Accounts (no secret field), RUNS=$RUNS; load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after:"
  echo
  echo "| what | documents/s (min / median / max) | PostgreSQL alone, rows/s (min / median / max) | ratio of medians |"
  echo "|---|---|---|---|"
  ratio_of=$ci
  echo "| import, \`POST /api/Account/_import\` (server warm) | $(stats "${http[@]}") | \`COPY \"Account\" (id, data) FROM STDIN\`: $(stats "${copy_in[@]}") | $(ratio "${http[@]}") |"
  echo "| import, \`java -jar events-server.jar import Account file\`, whole command (JVM start included) | $(stats "${command[@]}") | the same COPY | $(ratio "${command[@]}") |"
  echo "| import, the same command's rate (its progress line: from the first line read to the last) | $(stats "${command_stream[@]}") | the same COPY | $(ratio "${command_stream[@]}") |"
  ratio_of=$ce
  echo "| export, \`java -jar events-server.jar export Account file --filter ...\`, whole command (JVM start included) | $(stats "${export_wall[@]}") | \`COPY (SELECT id, data ... ORDER BY id) TO STDOUT\`: $(stats "${copy_out[@]}") | $(ratio "${export_wall[@]}") |"
  echo "| export, the same command's streaming rate (its progress line: from the first row to the last) | $(stats "${export_stream[@]}") | the same COPY | $(ratio "${export_stream[@]}") |"
  echo "| export over HTTP, \`GET /api/Account?filter=...\` with \`Accept: application/x-ndjson\` (server warm) | $(stats "${export_http[@]}") | the same COPY | $(ratio "${export_http[@]}") |"
}
import_export_scenarios
