#!/usr/bin/env bash
# Health check of Grafana, run on the node: GET /api/health on the address its container is
# published on must answer 200, with bash's /dev/tcp (no curl on the node needed), within
# HEALTH_TIMEOUT seconds (default 4).
set -euo pipefail

: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_HTTP:?SERVICE_PORT_HTTP is not set}"
timeout="${HEALTH_TIMEOUT:-4}"

if ! exec 3<>"/dev/tcp/$SERVICE_IP/$SERVICE_PORT_HTTP"; then
  echo "grafana: nothing listens on $SERVICE_IP:$SERVICE_PORT_HTTP"
  exit 1
fi 2>/dev/null
printf 'GET /api/health HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' \
  "$SERVICE_IP" "$SERVICE_PORT_HTTP" >&3
status_line=""
if ! IFS= read -r -t "$timeout" status_line <&3; then
  echo "grafana: no answer within ${timeout}s"
  exit 1
fi
exec 3<&-
status_line="${status_line%$'\r'}"
if [[ "$status_line" =~ ^HTTP/1\.[01]\ 200( |$) ]]; then
  exit 0
fi
echo "grafana: not healthy: $status_line"
exit 1
