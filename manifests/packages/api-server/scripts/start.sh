#!/usr/bin/env bash
# Starts api-server in the foreground. The controller runs this script detached, in its own
# process group, with its output going to the install directory's log, and provides
# SERVICE_NAME, SERVICE_VERSION, SERVICE_HOME, SERVICE_IP, SERVICE_PORT_HTTP, POSTGRES_ADDR and
# REDIS_ADDR (ip:port), plus the spec's env (LOG_LEVEL, DATABASE_NAME).
set -euo pipefail

: "${SERVICE_HOME:?SERVICE_HOME is not set (the install directory)}"
: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_HTTP:?SERVICE_PORT_HTTP is not set}"
: "${POSTGRES_ADDR:?POSTGRES_ADDR is not set (dependsOn: postgres)}"
: "${REDIS_ADDR:?REDIS_ADDR is not set (dependsOn: redis)}"

binary="$SERVICE_HOME/bin/api-server"
if [[ ! -x "$binary" ]]; then
  echo "api-server: $binary is missing or not executable (see bin/README.md)" >&2
  exit 1
fi

mkdir -p "$SERVICE_HOME/run"
# exec keeps this PID: the pid file names the server itself.
echo "$$" >"$SERVICE_HOME/run/service.pid"
exec "$binary" \
  --listen "$SERVICE_IP:$SERVICE_PORT_HTTP" \
  --config "$SERVICE_HOME/config/api-server.conf" \
  --database "postgres://$POSTGRES_ADDR/${DATABASE_NAME:-app}?sslmode=prefer" \
  --redis "redis://$REDIS_ADDR/0" \
  --log-level "${LOG_LEVEL:-info}"
