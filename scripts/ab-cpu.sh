#!/usr/bin/env bash
# A/B of two builds of the server on the same request: both jars run at once (ports 5611 and 5612) on the
# same database, and wrk drives them in turn, ROUNDS times, so both see the same load from whatever else
# runs on the machine. Prints, per round, each server's CPU per request (utime + stime of its JVM from
# /proc, over the run) with its requests/s and p99, and at the end the medians and their ratio B/A.
# Use it to measure one change ("lever") at a time: A = the build before, B = the build after.
#
#   scripts/ab-cpu.sh before.jar after.jar [ROUNDS]
#
# Needs the database scripts/bench.sh leaves behind (100,000 Users and the principal 'bench' with the
# password 'bench-password'): run scripts/bench.sh once (ONLY=get-one RUNS=1 is enough) first.
# Knobs: DB (events_bench), DB_URI, SCRIPT (bench/get-one.lua), C (16 connections), D (8 s per run),
# WARM (20 s of warm-up per server), JOPTS_A / JOPTS_B (JVM options of each).
set -uo pipefail
cd "$(dirname "$0")/.."
A=$1; B=$2; ROUNDS=${3:-8}; D=${D:-8}; C=${C:-16}; WARM=${WARM:-20}
DB=${DB:-events_bench}; DB_URI=${DB_URI:-postgresql://events:events@localhost:5432}
SCRIPT=${SCRIPT:-bench/get-one.lua}
WORK=$(mktemp -d)
start() {  # jar port options
  EVENTS_DB_URI=$DB_URI EVENTS_DB_NAME=$DB EVENTS_SERVER_PORT=$2 EVENTS_LOG_LEVEL=warn EVENTS_DATA_DIR=$WORK/data-$2 \
    java $3 -jar "$1" > "$WORK/server-$2.log" 2>&1 &
  echo $!
}
PA=$(start "$A" 5611 "${JOPTS_A:-}"); PB=$(start "$B" 5612 "${JOPTS_B:-}")
trap 'kill $PA $PB 2>/dev/null; rm -rf "$WORK"' EXIT
for port in 5611 5612; do
  until curl -sf "localhost:$port/actuator/health" > /dev/null; do sleep 0.5; done
done
token() {
  curl -s -D - -o /dev/null -X POST "localhost:$1/api/login" -H 'Content-Type: application/json' \
    -d '{"login": "bench", "password": "bench-password"}' | sed -n 's/^[Ss]et-[Cc]ookie: sessionId=\([^;]*\).*/\1/p'
}
TA=$(token 5611); TB=$(token 5612)
[ -n "$TA" ] && [ -n "$TB" ] || { echo "login as bench failed: run scripts/bench.sh first" >&2; exit 1; }
wrk -t2 -c"$C" -d"${WARM}s" -s "$SCRIPT" -H "Cookie: sessionId=$TA" http://localhost:5611 > /dev/null
wrk -t2 -c"$C" -d"${WARM}s" -s "$SCRIPT" -H "Cookie: sessionId=$TB" http://localhost:5612 > /dev/null
run() {  # pid port token -> "cpu_ms_per_request requests/s p99 non-2xx"
  local t0 t1 out
  t0=$(awk '{print $14 + $15}' "/proc/$1/stat")
  out=$(wrk -t2 -c"$C" -d"${D}s" --latency -s "$SCRIPT" -H "Cookie: sessionId=$3" "http://localhost:$2")
  t1=$(awk '{print $14 + $15}' "/proc/$1/stat")
  awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" '
    /requests in/ {n = $1} /Requests\/sec/ {r = $2} $1 == "99%" {p = $2} /Non-2xx/ {e = $NF}
    END {printf "%.3f %s %s %d\n", t * 1000 / hz / n, r, p, e}' <<< "$out"
}
RA=(); RB=()
for i in $(seq "$ROUNDS"); do
  a=$(run "$PA" 5611 "$TA"); b=$(run "$PB" 5612 "$TB")
  echo "round $i (load $(cut -d' ' -f1 /proc/loadavg)): A ms/req req/s p99 non-2xx = $a | B = $b"
  RA+=("${a%% *}"); RB+=("${b%% *}")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
ma=$(median "${RA[@]}"); mb=$(median "${RB[@]}")
echo "median CPU ms per request: A $ma, B $mb, B/A $(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.2f", b / a}')"
