#!/usr/bin/env bash
# Starts Prometheus in the foreground. The controller runs this script detached, in its own
# process group, with its output going to the install directory's log, and provides
# SERVICE_HOME, SERVICE_IP and SERVICE_PORT_HTTP; PROMETHEUS_RETENTION comes from the spec's env.
# The TSDB (PROMETHEUS_DATA) lives outside the versioned install directory, so that an upgrade
# or a rollback keeps the data.
set -euo pipefail

: "${SERVICE_HOME:?SERVICE_HOME is not set (the install directory)}"
: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_HTTP:?SERVICE_PORT_HTTP is not set}"

data="${PROMETHEUS_DATA:-$SERVICE_HOME/../prometheus-data}"
mkdir -p "$data" "$SERVICE_HOME/run"
# Prometheus does not expand environment variables in its configuration: render it.
config="$SERVICE_HOME/run/prometheus.yml"
sed -e "s/\${SERVICE_IP}/$SERVICE_IP/g" -e "s/\${SERVICE_PORT_HTTP}/$SERVICE_PORT_HTTP/g" \
  "$SERVICE_HOME/config/prometheus.yml" >"$config"

# exec keeps this PID: the pid file names prometheus itself.
echo "$$" >"$SERVICE_HOME/run/service.pid"
exec /usr/bin/prometheus \
  --config.file="$config" \
  --web.listen-address="$SERVICE_IP:$SERVICE_PORT_HTTP" \
  --storage.tsdb.path="$data" \
  --storage.tsdb.retention.time="${PROMETHEUS_RETENTION:-15d}"
