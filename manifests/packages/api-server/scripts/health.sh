#!/usr/bin/env bash
# Health check of api-server: GET /healthz must answer 2xx within HEALTH_TIMEOUT seconds
# (default 4, under the spec's 5s timeout).
set -euo pipefail

: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_HTTP:?SERVICE_PORT_HTTP is not set}"

exec /usr/bin/curl --silent --show-error --fail --output /dev/null \
  --max-time "${HEALTH_TIMEOUT:-4}" "http://$SERVICE_IP:$SERVICE_PORT_HTTP/healthz"
