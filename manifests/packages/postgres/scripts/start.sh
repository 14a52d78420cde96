#!/usr/bin/env bash
# Starts PostgreSQL in the foreground. The controller runs this script detached, in its own
# process group, with its output going to the install directory's log, and provides
# SERVICE_HOME, SERVICE_IP and SERVICE_PORT_POSTGRES; PGDATA comes from the spec's env.
#
# The data directory lives outside the versioned install directory, so that an upgrade or a
# rollback keeps the data. It is created with initdb on the first start.
set -euo pipefail

: "${SERVICE_HOME:?SERVICE_HOME is not set (the install directory)}"
: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_POSTGRES:?SERVICE_PORT_POSTGRES is not set}"

pg_bin="${PG_BIN:-/usr/lib/postgresql/16/bin}"
data="${PGDATA:-$SERVICE_HOME/../postgres-data}"

if [[ ! -s "$data/PG_VERSION" ]]; then
  echo "postgres: initializing $data"
  mkdir -p "$data"
  chmod 700 "$data"
  "$pg_bin/initdb" --pgdata="$data" --username=postgres --encoding=UTF8 \
    --auth-local=peer --auth-host=scram-sha-256
fi
install -m 600 "$SERVICE_HOME/config/postgresql.conf" "$data/postgresql.conf"
install -m 600 "$SERVICE_HOME/config/pg_hba.conf" "$data/pg_hba.conf"

mkdir -p "$SERVICE_HOME/run"
# exec keeps this PID: the pid file names the postmaster itself.
echo "$$" >"$SERVICE_HOME/run/service.pid"
exec "$pg_bin/postgres" -D "$data" \
  -c "listen_addresses=$SERVICE_IP" \
  -c "port=$SERVICE_PORT_POSTGRES" \
  -c "unix_socket_directories=$SERVICE_HOME/run"
