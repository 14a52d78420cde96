#!/usr/bin/env bash
# Builds controller/target/svcreg.jar when it is missing or older than any source.
#
# Sourced by tools/svcreg and tools/bench after tools/lib/java.sh. `svcreg_ensure_built ROOT`
# builds quietly (offline first, then online), shows Maven's log only when the build fails, and
# holds a lock so that two invocations never build at once.
set -euo pipefail

# Installs a Debian package with apt-get when we are root (running `apt-get update` once first);
# otherwise says what to install and exits 3.
svcreg_apt_install() {
  local what="$1"
  shift
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "svcreg needs $what; install it (e.g. \`sudo apt-get install $*\`) and try again." >&2
    exit 3
  fi
  echo "svcreg: installing $what (apt-get install $*)" >&2
  if [[ -z "${SVCREG_APT_UPDATED:-}" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    SVCREG_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# Makes sure `mvn` is on PATH.
svcreg_ensure_maven() {
  command -v mvn >/dev/null || svcreg_apt_install "Maven 3.8 or newer" maven
}

# Prints the first source file newer than the jar (or "missing" when there is no jar).
svcreg_stale_source() {
  local root="$1" jar="$1/controller/target/svcreg.jar"
  if [[ ! -f "$jar" || ! -d "$root/controller/target/lib" ]]; then
    echo missing
    return 0
  fi
  find "$root"/pom.xml "$root"/*/pom.xml "$root"/*/src -newer "$jar" -type f -print -quit \
    2>/dev/null || true
}

# Sets MAVEN_OPTS so that Maven on JDK 23+ does not warn about sun.misc.Unsafe.
svcreg_maven_opts() {
  if ((SVCREG_JAVA_MAJOR >= 23)) && [[ "${MAVEN_OPTS:-}" != *sun-misc-unsafe-memory-access* ]]; then
    export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow"
  fi
}

# Builds the jar if any source is newer than it.
svcreg_ensure_built() {
  local root="$1" log lock
  [[ -n "$(svcreg_stale_source "$root")" ]] || return 0
  svcreg_ensure_maven
  svcreg_maven_opts
  mkdir -p "$root/controller/target"
  lock="$root/controller/target/.build.lock"
  exec {SVCREG_LOCK_FD}>"$lock"
  flock "$SVCREG_LOCK_FD"
  # Another invocation may have built it while we waited.
  if [[ -n "$(svcreg_stale_source "$root")" ]]; then
    log="$(mktemp "${TMPDIR:-/tmp}/svcreg-build.XXXXXX")"
    echo "svcreg: building (first use or sources changed) ..." >&2
    local flags=(-B -q package -DskipTests -Dspotless.check.skip=true -Djacoco.skip=true)
    # Offline first (fast, no network); online only when something is missing from ~/.m2.
    if ! (cd "$root" && mvn -o "${flags[@]}") >"$log" 2>&1; then
      if ! grep -qi 'offline' "$log" || ! (cd "$root" && mvn "${flags[@]}") >>"$log" 2>&1; then
        cat "$log" >&2
        echo "svcreg: the build failed (log above, also in $log)." >&2
        exit 3
      fi
    fi
    rm -f "$log"
    touch "$root/controller/target/svcreg.jar"
  fi
  flock -u "$SVCREG_LOCK_FD"
  exec {SVCREG_LOCK_FD}>&-
}
