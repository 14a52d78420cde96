#!/usr/bin/env bash
# Health check of Redis: PING must answer PONG within HEALTH_TIMEOUT seconds (default 2).
set -euo pipefail

: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_REDIS:?SERVICE_PORT_REDIS is not set}"

reply="$(timeout "${HEALTH_TIMEOUT:-2}" /usr/bin/redis-cli -h "$SERVICE_IP" -p "$SERVICE_PORT_REDIS" ping)"
if [[ "$reply" != PONG ]]; then
  echo "redis: PING answered '$reply'"
  exit 1
fi
