#!/usr/bin/env bash
# Read replicas on this machine (issue 14): the list scenario of scripts/bench.sh (filter-sort:
# `GET /api/User?filter=accountId:acc-42&sort=netWorth:desc&pageSize=25`, exact count) under wrk,
# against the packaged jar on one primary, then on the same primary with one streaming replica
# (db_read_uris). Builds its own throwaway cluster from the PostgreSQL binaries (initdb with
# wal_level=replica, pg_basebackup -R), on free loopback ports, run as nobody when this runs as root.
# Prints one markdown row per setting: requests/s (min / median / max of RUNS), p50 / p99, and where
# the reads went (the replica's read counter from /api/db/report).
#
#   scripts/bench-replicas.sh      # needs: target/events-server.jar, wrk, curl, psql, PostgreSQL binaries
#
# Knobs: PG_BIN (/usr/lib/postgresql/15/bin), USERS (100000), DURATION (8 s per run), RUNS (3),
# CONCURRENCY (16), WARMUP (5 s), PORT (5610), PG_PORT (5620; the replica gets PG_PORT + 1), ORDER (replica-first).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
USERS=${USERS:-100000}
DURATION=${DURATION:-8}
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-16}
WARMUP=${WARMUP:-5}
PORT=${PORT:-5610}
PG_PORT=${PG_PORT:-5620}
REPLICA_PORT=$((PG_PORT + 1))
DB=events_bench_replicas
WORK=$(mktemp -d "${TMPDIR:-/tmp}/scale-bench-XXXXXX")
SERVER=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
cleanup() {
  [ -z "$SERVER" ] || { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  for data in replica primary; do
    [ ! -f "$WORK/$data/postmaster.pid" ] || as_pg "$PG_BIN/pg_ctl" -D "$WORK/$data" -m immediate -w stop > /dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(id -u)" != 0 ] || chown nobody "$WORK"

settings() {  # port
  printf "\nport = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\n" "$1" "$WORK"
  printf "synchronous_commit = off\nshared_buffers = '256MB'\nmax_connections = 100\nwal_level = replica\nmax_wal_senders = 4\n"
}
as_pg "$PG_BIN/initdb" -D "$WORK/primary" -U postgres --auth=trust -E UTF8 --no-sync > /dev/null
settings "$PG_PORT" >> "$WORK/primary/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$WORK/primary" -l "$WORK/primary.log" -w start > /dev/null
as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$WORK/replica" -R -X stream --no-sync
settings "$REPLICA_PORT" >> "$WORK/replica/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$WORK/replica" -l "$WORK/replica.log" -w start > /dev/null
PRIMARY=postgresql://postgres@127.0.0.1:$PG_PORT
REPLICA=postgresql://postgres@127.0.0.1:$REPLICA_PORT

start_server() {  # db_read_uris (may be empty)
  EVENTS_DB_URI=$PRIMARY EVENTS_DB_NAME=$DB EVENTS_SERVER_PORT=$PORT EVENTS_LOG_LEVEL=warn EVENTS_DATA_DIR=$WORK/data \
    EVENTS_DB_READ_URIS=$1 java -jar target/events-server.jar >> "$WORK/server.log" 2>&1 &
  SERVER=$!
  until curl -sf "http://localhost:$PORT/actuator/health" > /dev/null; do
    kill -0 "$SERVER" 2> /dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.5
  done
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2> /dev/null || true; SERVER=; }

start_server ""
# The Users of scripts/bench.sh (same shape, same accounts), loaded straight into the table.
psql -q "$PRIMARY/$DB" <<SQL
INSERT INTO "Account" (id, data) SELECT 'acc-' || i, jsonb_build_object('name', 'Account ' || i, 'enabled', true)
  FROM generate_series(0, 499) AS i;
INSERT INTO "User" (id, data) SELECT (1000000 + i)::text, jsonb_build_object(
  'username', 'user_' || lpad(i::text, 6, '0'), 'email', 'user' || i || '@example.com', 'password', 'x',
  'firstName', 'First', 'lastName', md5(i::text), 'isAccountOwner', i % 2 = 0,
  'netWorth', (i * 7919) % 10000000, 'dob', (date '1950-01-01' + (i % 20000))::text,
  'city', 'City ' || (i % 1000), 'accountId', 'acc-' || (i % 500), 'roleId', 'role-1',
  'createdAt', '2026-01-01', 'updatedAt', '2026-01-01T00:00:00.000Z')
  FROM generate_series(1, $USERS) AS i;
VACUUM ANALYZE "User";
SQL
EVENTS_DB_URI=$PRIMARY EVENTS_DB_NAME=$DB java -jar target/events-server.jar create Role \
  '{"id": "bench", "role": "Bench bench", "permissions": {"*": "r"}}' > /dev/null 2>&1
EVENTS_DB_URI=$PRIMARY EVENTS_DB_NAME=$DB java -jar target/events-server.jar create Auth \
  '{"name": "bench", "password": "bench-password", "roleId": "bench"}' > /dev/null 2>&1
login() {
  curl -s -D - -o /dev/null -X POST "http://localhost:$PORT/api/login" -H 'Content-Type: application/json' \
    -d '{"login": "bench", "password": "bench-password"}' | sed -n 's/^[Ss]et-[Cc]ookie: sessionId=\([^;]*\).*/\1/p'
}
URL="http://localhost:$PORT/api/User?filter=accountId:acc-42&sort=netWorth:desc&pageSize=25"

to_ms() { awk '{v=$1; u=v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
  printf "%.2f", (u == "us" ? v / 1000 : (u == "s" ? v * 1000 : v))}'; }
measure() {  # label
  local token rates=() p50 p99 out
  token=$(login)
  [ -n "$token" ] || { echo "login failed" >&2; exit 1; }
  wrk -t2 -c"$CONCURRENCY" -d"${WARMUP}s" -H "Cookie: sessionId=$token" "$URL" > /dev/null
  for _ in $(seq "$RUNS"); do
    out=$(wrk -t2 -c"$CONCURRENCY" -d"${DURATION}s" --latency -H "Cookie: sessionId=$token" "$URL")
    rates+=("$(awk '/Requests\/sec/ {print $2}' <<< "$out")")
    p50=$(awk '$1 == "50%" {print $2}' <<< "$out" | to_ms)
    p99=$(awk '$1 == "99%" {print $2}' <<< "$out" | to_ms)
    ! grep -q 'Non-2xx' <<< "$out" || { echo "errors: $out" >&2; exit 1; }
  done
  local reads
  reads=$(curl -s "http://localhost:$PORT/api/db/report" | python3 -c \
    'import json,sys; r=json.load(sys.stdin)["report"]["details"]["replicas"]; print(", ".join("%s, %s reads" % (x["state"], x["reads"]) for x in r) or "-")')
  printf '| %s | %s | %s / %s | %s |\n' "$1" "$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.0f / %.0f / %.0f", a[1], a[int((NR+1)/2)], a[NR]}')" \
    "$p50" "$p99" "$reads"
}
psql -qAt "$PRIMARY/$DB" -c "SELECT format('User: %s rows, table %s + indexes %s = %s bytes per row', count(*),
  pg_size_pretty(pg_table_size('\"User\"')), pg_size_pretty(pg_indexes_size('\"User\"')),
  pg_total_relation_size('\"User\"') / count(*)) FROM \"User\""
echo "$(nproc) cores, $USERS Users, wrk -c$CONCURRENCY, ${DURATION}s x $RUNS: \`GET ${URL#http://localhost:$PORT}\`"
echo
echo '| setting | req/s (min / median / max) | p50 / p99 ms (last run) | replica |'
echo '| --- | --- | --- | --- |'
with_replica() { stop_server; start_server "$REPLICA"; sleep 2; measure 'primary + 1 replica'; }  # 2 s: first probes
without() { stop_server; start_server ""; measure 'primary only'; }
# ORDER=replica-first measures the replica setting first, to tell drift of the machine from the effect.
if [ "${ORDER:-}" = replica-first ]; then with_replica; without; else without; with_replica; fi
stop_server
