#!/usr/bin/env bash
# Docker for the container test nodes, shared by tools/test and tools/bench (source it; messages
# name $SVCREG_TOOL): installs Docker and debootstrap when missing, starts dockerd when no daemon
# answers and stops that one (never one that was already running) when the script ends.

SVCREG_TOOL="${SVCREG_TOOL:-svcreg}"

# Installs Docker, and debootstrap with Debian's keyring (the node image is built from Debian's
# packages), when missing.
svcreg_install_docker() {
  if ! command -v docker >/dev/null || ! PATH="$PATH:/usr/sbin:/sbin" command -v dockerd >/dev/null; then
    svcreg_apt_install "Docker (the container test nodes)" docker.io
  fi
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v debootstrap >/dev/null \
    || [[ ! -f /usr/share/keyrings/debian-archive-keyring.gpg ]]; then
    svcreg_apt_install "debootstrap (builds the test nodes' image from Debian's packages)" \
      debootstrap debian-archive-keyring
  fi
}

# The dockerd this run started (never one that was already running), stopped when the run ends.
SVCREG_DOCKERD_PID=""
SVCREG_DOCKERD_LOG=""

# Whether a process lives (a zombie, a child not yet reaped, does not).
svcreg_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

svcreg_stop_dockerd() {
  local status=$? i
  [[ -n "$SVCREG_DOCKERD_PID" ]] || return 0
  echo "$SVCREG_TOOL: stopping the dockerd it started (pid $SVCREG_DOCKERD_PID)"
  kill -TERM "$SVCREG_DOCKERD_PID" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    svcreg_alive "$SVCREG_DOCKERD_PID" || break
    sleep 0.5
  done
  if svcreg_alive "$SVCREG_DOCKERD_PID"; then
    echo "$SVCREG_TOOL: dockerd did not stop within 30 s; killing it" >&2
    kill -KILL "$SVCREG_DOCKERD_PID" 2>/dev/null || true
  fi
  wait "$SVCREG_DOCKERD_PID" 2>/dev/null || true
  SVCREG_DOCKERD_PID=""
  if ((status == 0)); then
    rm -f "$SVCREG_DOCKERD_LOG"
  fi
}

# Starts dockerd (log in a temp file) when no Docker daemon answers, and waits at most 60 s for it.
svcreg_ensure_docker() {
  local i
  docker info >/dev/null 2>&1 && return 0
  if [[ "$(id -u)" != 0 ]]; then
    echo "$SVCREG_TOOL: no Docker daemon answers, and only root can start one: start Docker (e.g. \`sudo systemctl start docker\`) or join the docker group, and try again." >&2
    exit 3
  fi
  SVCREG_DOCKERD_LOG="$(mktemp "${TMPDIR:-/tmp}/svcreg-dockerd.XXXXXX")"
  echo "$SVCREG_TOOL: no Docker daemon answers; starting dockerd (log: $SVCREG_DOCKERD_LOG)"
  trap svcreg_stop_dockerd EXIT
  trap 'exit 130' INT TERM
  # its own session: a Ctrl-C of the tests reaches the trap above, not the daemon
  setsid dockerd >"$SVCREG_DOCKERD_LOG" 2>&1 </dev/null &
  SVCREG_DOCKERD_PID=$!
  for ((i = 0; i < 120; i++)); do
    docker info >/dev/null 2>&1 && return 0
    if ! svcreg_alive "$SVCREG_DOCKERD_PID"; then
      SVCREG_DOCKERD_PID=""
      echo "$SVCREG_TOOL: dockerd exited at once: $(tail -n1 "$SVCREG_DOCKERD_LOG") (log: $SVCREG_DOCKERD_LOG)" >&2
      exit 3
    fi
    sleep 0.5
  done
  echo "$SVCREG_TOOL: dockerd did not answer within 60 s: $(tail -n1 "$SVCREG_DOCKERD_LOG") (log: $SVCREG_DOCKERD_LOG)" >&2
  exit 3
}

