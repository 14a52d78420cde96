#!/usr/bin/env bash
# Health check of PostgreSQL: pg_isready must report that the server accepts connections on
# SERVICE_IP:SERVICE_PORT_POSTGRES within HEALTH_TIMEOUT seconds (default 4).
set -euo pipefail

: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_POSTGRES:?SERVICE_PORT_POSTGRES is not set}"

exec /usr/bin/pg_isready --host="$SERVICE_IP" --port="$SERVICE_PORT_POSTGRES" \
  --timeout="${HEALTH_TIMEOUT:-4}"
