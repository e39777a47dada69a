#!/usr/bin/env bash
# Prepares this machine for scripts/bench.sh: the load generators from Debian's packages and the
# README's PostgreSQL (the Debian PostgreSQL 15 cluster on localhost:5432 with a role events/events
# that may create databases). Idempotent; needs root (or sudo).
set -euo pipefail
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
missing=()
for tool in wrk pgbench psql; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  # pgbench and psql come with postgresql-client; wrk is its own package.
  $SUDO apt-get install -y -qq wrk postgresql-client postgresql-contrib > /dev/null
fi
if command -v pg_ctlcluster > /dev/null && ! pg_lsclusters -h | awk '$4 == "online"' | grep -q .; then
  $SUDO pg_ctlcluster 15 main start
fi
until pg_isready -q -h localhost -p 5432; do sleep 0.5; done
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
as_postgres psql -qtA -c "SELECT 1 FROM pg_roles WHERE rolname = 'events'" | grep -q 1 \
  || as_postgres psql -q -c "CREATE ROLE events LOGIN PASSWORD 'events' CREATEDB"
echo "bench-setup: wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'), $(pgbench --version), PostgreSQL on localhost:5432 ready"
