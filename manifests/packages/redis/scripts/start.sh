#!/usr/bin/env bash
# Starts Redis in the foreground. The controller runs this script detached, in its own process
# group, with its output going to the install directory's log, and provides SERVICE_HOME,
# SERVICE_IP and SERVICE_PORT_REDIS. The data directory (REDIS_DATA) lives outside the versioned
# install directory, so that an upgrade or a rollback keeps the data.
set -euo pipefail

: "${SERVICE_HOME:?SERVICE_HOME is not set (the install directory)}"
: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_REDIS:?SERVICE_PORT_REDIS is not set}"

data="${REDIS_DATA:-$SERVICE_HOME/../redis-data}"
mkdir -p "$data" "$SERVICE_HOME/run"
# exec keeps this PID: the pid file names redis-server itself.
echo "$$" >"$SERVICE_HOME/run/service.pid"
exec /usr/bin/redis-server "$SERVICE_HOME/config/redis.conf" \
  --bind "$SERVICE_IP" \
  --port "$SERVICE_PORT_REDIS" \
  --dir "$data"
