#!/usr/bin/env bash
# The README's walk-through: report, log in, create a Role, an Account and a User that references it,
# read, list, replace, delete twice, read again, log out.
# Usage: scripts/walkthrough.sh [base-url]   (ADMIN_LOGIN / ADMIN_PASSWORD: a principal with s rights;
# by default the first run's administrator, its password read from initial-admin-password in the data
# directory; the server needs session.secure_cookie false to set a cookie curl sends back over plain http)
set -euo pipefail
BASE=${1:-http://localhost:5500}
ADMIN_LOGIN=${ADMIN_LOGIN:-admin}
if [ -z "${ADMIN_PASSWORD:-}" ]; then
  ADMIN_PASSWORD=$(cat "${EVENTS_DATA_DIR:-data/postgres}/initial-admin-password")
fi
JAR=$(mktemp)
trap 'rm -f "$JAR"' EXIT
JSON='Content-Type: application/json'
curl() { command curl -b "$JAR" -c "$JAR" "$@"; }
show() { echo "\$ $1"; eval "$1"; echo; echo; }
id_of() { sed -E 's/^\{"data":\{"id":"([^"]+)".*/\1/'; }

show "curl -s $BASE/api/db/report"
show "curl -s -X POST $BASE/api/login -H '$JSON' -d '{\"login\": \"$ADMIN_LOGIN\", \"password\": \"$ADMIN_PASSWORD\"}'"
ROLE_BODY='{"id": "role_mgr", "role": "Manager", "permissions": {"*": "crud"}}'
echo "\$ curl -s -X POST $BASE/api/Role -H '$JSON' -d '$ROLE_BODY'"
curl -s -X POST "$BASE/api/Role" -H "$JSON" -d "$ROLE_BODY"; echo; echo
ACCOUNT=$(curl -s -X POST "$BASE/api/Account" -H "$JSON" -d '{"name": "Acme Holdings", "credit": 1500.50, "expireDate": "2027-01-01"}')
echo "\$ curl -s -X POST $BASE/api/Account -H '$JSON' -d '{\"name\": \"Acme Holdings\", \"credit\": 1500.50, \"expireDate\": \"2027-01-01\"}'"
echo "$ACCOUNT"; echo; echo
ACCOUNT_ID=$(echo "$ACCOUNT" | id_of)
USER_BODY='{"username": "mgr", "email": "mgr@example.com", "password": "s3cret-pass", "firstName": "Mary", "lastName": "Grant", "isAccountOwner": true, "netWorth": 25000, "accountId": "'$ACCOUNT_ID'", "roleId": "role_mgr"}'
USER=$(curl -s -X POST "$BASE/api/User" -H "$JSON" -d "$USER_BODY")
echo "\$ curl -s -X POST $BASE/api/User -H '$JSON' -d '$USER_BODY'"
echo "$USER"; echo; echo
USER_ID=$(echo "$USER" | id_of)
show "curl -s $BASE/api/User/$USER_ID"
show "curl -s '$BASE/api/User?page=1&pageSize=10'"
REPLACEMENT='{"username": "mgr", "email": "mgr@example.com", "firstName": "Mary", "lastName": "Grant-Smith", "isAccountOwner": false, "accountId": "'$ACCOUNT_ID'", "roleId": "role_mgr"}'
show "curl -s -X PUT $BASE/api/User/$USER_ID -H '$JSON' -d '$REPLACEMENT'"
show "curl -s -X DELETE $BASE/api/User/$USER_ID"
show "curl -s -X DELETE $BASE/api/User/$USER_ID"
show "curl -s -w ' [HTTP %{http_code}]' $BASE/api/User/$USER_ID"
show "curl -s -X POST $BASE/api/logout"
show "curl -s -w ' [HTTP %{http_code}]' $BASE/api/User"
