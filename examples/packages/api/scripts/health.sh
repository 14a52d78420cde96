#!/usr/bin/env bash
# Health check of the api service: GET /healthz on $SERVICE_IP:$SERVICE_PORT_HTTP with bash's
# /dev/tcp (no curl needed). Exits 0 only on HTTP 200, within HEALTH_TIMEOUT seconds (default 3).
set -euo pipefail

: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_HTTP:?SERVICE_PORT_HTTP is not set}"
timeout="${HEALTH_TIMEOUT:-3}"

if ! exec 3<>"/dev/tcp/$SERVICE_IP/$SERVICE_PORT_HTTP"; then
  echo "api: nothing listens on $SERVICE_IP:$SERVICE_PORT_HTTP"
  exit 1
fi 2>/dev/null
printf 'GET /healthz HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' \
  "$SERVICE_IP" "$SERVICE_PORT_HTTP" >&3
status_line=""
if ! IFS= read -r -t "$timeout" status_line <&3; then
  echo "api: no answer from $SERVICE_IP:$SERVICE_PORT_HTTP within ${timeout}s"
  exit 1
fi
exec 3<&-
status_line="${status_line%$'\r'}"
if [[ "$status_line" =~ ^HTTP/1\.[01]\ 200( |$) ]]; then
  echo "api: healthy"
  exit 0
fi
echo "api: unhealthy: $status_line"
exit 1
