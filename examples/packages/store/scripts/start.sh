#!/usr/bin/env bash
# Starts the store service in the foreground. The controller runs this script detached, in its
# own process group, with its output going to the install directory's log; it provides
# SERVICE_NAME, SERVICE_VERSION, SERVICE_HOME, SERVICE_IP, SERVICE_PORT_HTTP.
set -euo pipefail

: "${SERVICE_HOME:?SERVICE_HOME is not set (the install directory)}"
: "${SERVICE_IP:?SERVICE_IP is not set}"
: "${SERVICE_PORT_HTTP:?SERVICE_PORT_HTTP is not set}"

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  java="$JAVA_HOME/bin/java"
elif command -v java >/dev/null; then
  java=java
else
  echo "store: no java found (set JAVA_HOME or put a JDK 11+ on PATH)" >&2
  exit 1
fi

# Small heap and quick start-up: this is a demo service, not a benchmark.
read -r -a java_opts <<<"${JAVA_OPTS:--Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"

mkdir -p "$SERVICE_HOME/run"
# exec keeps this PID: the pid file names the java process itself.
echo "$$" >"$SERVICE_HOME/run/service.pid"
exec "$java" "${java_opts[@]}" "$SERVICE_HOME/bin/Store.java"
