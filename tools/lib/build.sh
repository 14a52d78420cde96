#!/usr/bin/env bash
# Builds a module's jar when it is missing or older than any of its sources: `controller` (the
# product, controller/target/svcreg.jar and its lib/) or `bench` (bench/target/svcreg-bench.jar,
# the benchmarks, run with the controller's jar and lib/).
#
# Sourced by tools/svcreg and tools/bench after tools/lib/java.sh. `svcreg_ensure_built ROOT
# [MODULE]` (default controller) builds MODULE and the modules it depends on, quietly (offline
# first, then online), shows Maven's log only when the build fails, and holds a lock so that two
# invocations never build at once.
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

# Sets SVCREG_MODULE_JAR (relative to the root) and the array SVCREG_MODULE_DIRS (the modules it
# is built from) for a module; exits 2 for an unknown one.
svcreg_module() {
  case "$1" in
    controller)
      SVCREG_MODULE_JAR=controller/target/svcreg.jar
      SVCREG_MODULE_DIRS=(api-schema controller)
      ;;
    bench)
      SVCREG_MODULE_JAR=bench/target/svcreg-bench.jar
      SVCREG_MODULE_DIRS=(api-schema controller bench)
      ;;
    *)
      echo "svcreg: no module '$1' to build" >&2
      exit 2
      ;;
  esac
}

# Prints the first source file of a module newer than its jar (or "missing" when there is no jar,
# or the controller's lib/ is missing).
svcreg_stale_source() {
  local root="$1" module="${2:-controller}" jar dirs=() dir
  svcreg_module "$module"
  jar="$root/$SVCREG_MODULE_JAR"
  if [[ ! -f "$jar" || ! -d "$root/controller/target/lib" ]]; then
    echo missing
    return 0
  fi
  for dir in "${SVCREG_MODULE_DIRS[@]}"; do
    dirs+=("$root/$dir/pom.xml" "$root/$dir/src")
  done
  find "$root"/pom.xml "${dirs[@]}" -newer "$jar" -type f -print -quit 2>/dev/null || true
}

# Sets MAVEN_OPTS so that Maven on JDK 23+ does not warn about sun.misc.Unsafe.
svcreg_maven_opts() {
  if ((SVCREG_JAVA_MAJOR >= 23)) && [[ "${MAVEN_OPTS:-}" != *sun-misc-unsafe-memory-access* ]]; then
    export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow"
  fi
}

# Builds a module (default controller) and the modules it needs if any of their sources is newer
# than its jar.
svcreg_ensure_built() {
  local root="$1" module="${2:-controller}" log lock
  svcreg_module "$module"
  [[ -n "$(svcreg_stale_source "$root" "$module")" ]] || return 0
  svcreg_ensure_maven
  svcreg_maven_opts
  mkdir -p "$root/controller/target"
  lock="$root/controller/target/.build.lock"
  exec {SVCREG_LOCK_FD}>"$lock"
  flock "$SVCREG_LOCK_FD"
  # Another invocation may have built it while we waited.
  if [[ -n "$(svcreg_stale_source "$root" "$module")" ]]; then
    log="$(mktemp "${TMPDIR:-/tmp}/svcreg-build.XXXXXX")"
    echo "svcreg: building (first use or sources changed) ..." >&2
    local flags=(-B -q package -pl "$module" -am -DskipTests -Dspotless.check.skip=true
      -Djacoco.skip=true)
    # Offline first (fast, no network); online only when something is missing from ~/.m2.
    if ! (cd "$root" && mvn -o "${flags[@]}") >"$log" 2>&1; then
      if ! grep -qi 'offline' "$log" || ! (cd "$root" && mvn "${flags[@]}") >>"$log" 2>&1; then
        cat "$log" >&2
        echo "svcreg: the build failed (log above, also in $log)." >&2
        exit 3
      fi
    fi
    rm -f "$log"
    # Maven leaves a jar alone when its content did not change: mark the jars built (the
    # controller's is built for every module) as fresh.
    touch "$root/controller/target/svcreg.jar" "$root/$SVCREG_MODULE_JAR"
  fi
  flock -u "$SVCREG_LOCK_FD"
  exec {SVCREG_LOCK_FD}>&-
}
