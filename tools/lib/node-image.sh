#!/usr/bin/env bash
# Builds the Docker image of the test nodes (io.svcreg.fleet.NodeContainer): a Debian bookworm
# with systemd as PID 1, OpenSSH's sshd, iproute2 and WireGuard's tools, from Debian's packages
# (debootstrap, then `docker import`). Each node makes its own SSH host keys at its first boot.
#
# The tag is a hash of this script and its package list (svcreg-node:<12 hex>): the image is built
# only when no image of that tag exists, and a change here builds a new one. Nothing but the image
# is kept. Needs root, a Docker daemon, debootstrap and Debian's package mirror (the one apt uses
# here, or SVCREG_DEBIAN_MIRROR, or debootstrap's default).
#
# Sourced by tools/test: `svcreg_node_image` prints the image's name (building it when absent) or
# returns 3 with a one-line message. Run directly, it does the same.
set -euo pipefail

SVCREG_NODE_SUITE=bookworm
SVCREG_NODE_PACKAGES=systemd,systemd-sysv,openssh-server,iproute2,dbus,procps,wireguard-tools,wireguard-go,iputils-ping
SVCREG_NODE_IMAGE_SCRIPT="$(readlink -f "${BASH_SOURCE[0]}")"

# Prints the image name for this script's content, e.g. svcreg-node:0123456789ab.
svcreg_node_image_name() {
  local hash
  hash="$({
    cat "$SVCREG_NODE_IMAGE_SCRIPT"
    printf '%s %s\n' "$SVCREG_NODE_SUITE" "$SVCREG_NODE_PACKAGES"
  } | sha256sum)"
  printf 'svcreg-node:%s\n' "${hash:0:12}"
}

# Prints the Debian mirror apt uses on this machine for the suite, or nothing (debootstrap's
# default then).
svcreg_debian_mirror() {
  if [[ -n "${SVCREG_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "$SVCREG_DEBIAN_MIRROR"
    return 0
  fi
  local files=() f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] && files+=("$f")
  done
  {
    # deb822 stanzas: the first URI of a stanza whose Suites name the suite
    if ((${#files[@]} > 0)); then
      awk -v suite="$SVCREG_NODE_SUITE" '
        FNR == 1 || /^[[:space:]]*$/ { if (uri != "" && ok) print uri; uri = ""; ok = 0 }
        /^URIs:/ { uri = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
        END { if (uri != "" && ok) print uri }
      ' "${files[@]}"
    fi
    # one-line sources: `deb URI SUITE ...`
    if [[ -f /etc/apt/sources.list ]]; then
      awk -v suite="$SVCREG_NODE_SUITE" '$1 == "deb" && $3 == suite { print $2 }' /etc/apt/sources.list
    fi
  } | head -n1
}

# Unmounts whatever is still mounted below a build root (debootstrap mounts /proc and /sys into
# it) and removes it, never crossing into another file system.
svcreg_node_image_cleanup() {
  local dir="$1" m
  [[ -n "$dir" && -d "$dir" ]] || return 0
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(findmnt -rn -o TARGET 2>/dev/null | grep -F -- "$dir/" | sort -r)
  rm -rf --one-file-system -- "$dir"
}

# Prints the image name, building the image first when Docker has no image of that name.
svcreg_node_image() {
  local image
  image="$(svcreg_node_image_name)"
  if ! command -v docker >/dev/null; then
    echo "svcreg: docker is not installed; the test nodes need it (apt-get install docker.io, or run tools/test)." >&2
    return 3
  fi
  local info
  if ! info="$(docker info --format '{{.ServerVersion}}' 2>&1)"; then
    echo "svcreg: no Docker daemon answers ($(printf '%s' "$info" | grep -m1 -v '^$')); start dockerd, or run tools/test, which starts one." >&2
    return 3
  fi
  if docker image inspect "$image" >/dev/null 2>&1; then
    printf '%s\n' "$image"
    return 0
  fi
  (svcreg_node_image_build "$image") || return 3
  printf '%s\n' "$image"
}

# Builds $1 from Debian's packages (in a subshell: its trap removes the build root on any exit).
svcreg_node_image_build() {
  local image="$1" lock mirror start fs
  if [[ "$(id -u)" != 0 ]]; then
    echo "svcreg: building the test node image $image needs root (debootstrap, chroot)." >&2
    exit 3
  fi
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v debootstrap >/dev/null; then
    echo "svcreg: debootstrap is not installed; the test node image needs it (apt-get install debootstrap, or run tools/test)." >&2
    exit 3
  fi
  export PATH="$PATH:/usr/sbin:/sbin"
  # one build at a time on this machine; another run may have built it while we waited
  lock="${TMPDIR:-/tmp}/svcreg-node-image.lock"
  exec {SVCREG_NODE_LOCK_FD}>"$lock"
  flock "$SVCREG_NODE_LOCK_FD"
  if docker image inspect "$image" >/dev/null 2>&1; then
    exit 0
  fi
  # globals: the EXIT trap runs after this function has returned
  SVCREG_NODE_ROOT="$(mktemp -d "${TMPDIR:-/var/tmp}/svcreg-node.XXXXXX")"
  SVCREG_NODE_LOG="$SVCREG_NODE_ROOT.log"
  trap 'svcreg_node_image_cleanup "$SVCREG_NODE_ROOT"; rm -f "$SVCREG_NODE_LOG"' EXIT
  local root="$SVCREG_NODE_ROOT" log="$SVCREG_NODE_LOG"
  mirror="$(svcreg_debian_mirror)"
  echo "svcreg: building the test node image $image from Debian's $SVCREG_NODE_SUITE packages (about a minute, once) ..." >&2
  start=$SECONDS
  if ! debootstrap --variant=minbase --include="$SVCREG_NODE_PACKAGES" \
    "$SVCREG_NODE_SUITE" "$root/fs" ${mirror:+"$mirror"} >"$log" 2>&1; then
    if grep -qiE 'Failed getting release file|Could not resolve|Temporary failure|Connection refused|Network is unreachable|Couldn.t download|Failure trying to run: .*wget|timed out' "$log"; then
      echo "svcreg: cannot download Debian's packages for the test node image (no network?): $(grep -m1 -E '^E:|W:' "$log" || tail -n1 "$log")" >&2
    else
      cat "$log" >&2
      echo "svcreg: debootstrap failed building the test node image (its log is above): $(grep -m1 '^E:' "$log" || tail -n1 "$log")" >&2
    fi
    exit 3
  fi
  fs="$root/fs"
  # each node makes its own host keys at its first boot
  rm -f "$fs"/etc/ssh/ssh_host_*
  mkdir -p "$fs/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$fs/etc/systemd/system/ssh.service.d/svcreg-node.conf"
  chroot "$fs" systemctl mask getty@tty1.service console-getty.service systemd-remount-fs.service \
    >>"$log" 2>&1
  chroot "$fs" systemctl enable ssh.service >>"$log" 2>&1
  rm -rf "$fs"/var/cache/apt/archives/*.deb "$fs"/var/lib/apt/lists/*
  # `docker import` takes no STOPSIGNAL: run nodes with `--stop-signal SIGRTMIN+3`, on which
  # systemd halts cleanly (on docker's SIGTERM it only re-executes itself, and `docker stop` kills
  # it after its timeout)
  if ! tar -C "$fs" -c . | docker import -c 'CMD ["/sbin/init"]' \
    -c "LABEL io.svcreg.node-image=$image" - "$image" >>"$log" 2>&1; then
    echo "svcreg: docker import of the test node image failed: $(tail -n1 "$log")" >&2
    exit 3
  fi
  echo "svcreg: built $image in $((SECONDS - start)) s" >&2
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  svcreg_node_image
fi
