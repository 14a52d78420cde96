#!/usr/bin/env bash
# Stops the store service: SIGTERM to the PID in run/service.pid, then waits up to
# STOP_TIMEOUT seconds (default 5) for it to exit. Exits 0 when it is not running (any more).
set -euo pipefail

: "${SERVICE_HOME:?SERVICE_HOME is not set (the install directory)}"
pid_file="$SERVICE_HOME/run/service.pid"
timeout="${STOP_TIMEOUT:-5}"

if [[ ! -f "$pid_file" ]]; then
  echo "store: not running (no $pid_file)"
  exit 0
fi
pid="$(<"$pid_file")"
if [[ ! "$pid" =~ ^[0-9]+$ ]]; then
  echo "store: $pid_file does not hold a PID: '$pid'" >&2
  exit 1
fi

# Alive and still ours: not a zombie, and not a PID reused by some other program.
running() {
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    local stat
    stat="$(<"/proc/$pid/stat")" || return 1
    [[ "${stat##*) }" != Z* ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "bin/Store.java" || return 1
  fi
}

if running; then
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while running; do
    if ((SECONDS >= deadline)); then
      echo "store: PID $pid still running ${timeout}s after SIGTERM" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "store: stopped PID $pid"
else
  echo "store: not running (stale PID $pid)"
fi
rm -f "$pid_file"
