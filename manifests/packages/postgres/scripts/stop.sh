#!/usr/bin/env bash
# Stops PostgreSQL with a fast shutdown (open transactions are rolled back, data is flushed),
# waiting up to STOP_TIMEOUT seconds (default 60). Exits 0 when it is not running (any more).
set -euo pipefail

: "${SERVICE_HOME:?SERVICE_HOME is not set (the install directory)}"
pg_bin="${PG_BIN:-/usr/lib/postgresql/16/bin}"
data="${PGDATA:-$SERVICE_HOME/../postgres-data}"

status=0
"$pg_bin/pg_ctl" status -D "$data" >/dev/null || status=$?
if ((status == 3 || status == 4)); then
  # 3: not running; 4: no data directory
  echo "postgres: not running"
else
  "$pg_bin/pg_ctl" stop -D "$data" --mode=fast --wait --timeout="${STOP_TIMEOUT:-60}"
fi
rm -f "$SERVICE_HOME/run/service.pid"
