#!/usr/bin/env bash
# Finds a JDK 21 or newer for the svcreg tools.
#
# Sourced by tools/svcreg, tools/test and tools/bench: `svcreg_find_java` exports JAVA_HOME, puts
# its bin first on PATH and sets SVCREG_JAVA_MAJOR, or exits 3 with a message saying what to
# install. Run directly, it prints the JAVA_HOME it would use.
#
# Order: $JAVA_HOME if its `java -version` is 21 or newer; else the newest JDK (by version number)
# under $SVCREG_JVM_DIR (default /usr/lib/jvm); else `java` on PATH if it is 21 or newer.
set -euo pipefail

SVCREG_MIN_JAVA=21

# Prints the major version of a `java` binary (8 for "1.8.0_391", 25 for "25.0.1"), or nothing.
svcreg_java_major() {
  local java="$1" line version
  [[ -x "$java" ]] || return 0
  line="$("$java" -version 2>&1 | grep -m1 -E 'version "[^"]+"' || true)"
  [[ -n "$line" ]] || return 0
  version="${line#*version \"}"
  version="${version%%\"*}"
  if [[ "$version" == 1.* ]]; then
    version="${version#1.}"
  fi
  version="${version%%[!0-9]*}"
  [[ -n "$version" ]] && printf '%s\n' "$version"
  return 0
}

# Prints the major version of the JDK at a home directory: from its `release` file when it has
# one (no JVM start), else from `bin/java -version`.
svcreg_jdk_major() {
  local home="$1" version
  [[ -x "$home/bin/java" && -x "$home/bin/javac" ]] || return 0
  if [[ -r "$home/release" ]]; then
    version="$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release" | head -n1)"
    if [[ -n "$version" ]]; then
      [[ "$version" == 1.* ]] && version="${version#1.}"
      version="${version%%[!0-9]*}"
      [[ -n "$version" ]] && printf '%s\n' "$version" && return 0
    fi
  fi
  svcreg_java_major "$home/bin/java"
}

# Prints "MAJOR HOME" of the newest JDK >= 21 under a directory, or nothing.
svcreg_newest_jdk_in() {
  local dir="$1" best_major=0 best_home="" home major
  [[ -d "$dir" ]] || return 0
  for home in "$dir"/*; do
    [[ -d "$home" ]] || continue
    major="$(svcreg_jdk_major "$home")"
    [[ -n "$major" ]] || continue
    if ((major >= SVCREG_MIN_JAVA && major > best_major)); then
      best_major="$major"
      best_home="$home"
    fi
  done
  if [[ -n "$best_home" ]]; then
    printf '%s %s\n' "$best_major" "$best_home"
  fi
  return 0
}

# Chooses the JDK: exports JAVA_HOME and PATH, sets SVCREG_JAVA_MAJOR; exits 3 when there is none.
svcreg_find_java() {
  local major found java_on_path jvm_dir="${SVCREG_JVM_DIR:-/usr/lib/jvm}"
  if [[ -n "${JAVA_HOME:-}" ]]; then
    major="$(svcreg_java_major "$JAVA_HOME/bin/java")"
    if [[ -n "$major" ]] && ((major >= SVCREG_MIN_JAVA)); then
      SVCREG_JAVA_MAJOR="$major"
      export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  fi
  found="$(svcreg_newest_jdk_in "$jvm_dir")"
  if [[ -n "$found" ]]; then
    SVCREG_JAVA_MAJOR="${found%% *}"
    JAVA_HOME="${found#* }"
    export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
    return 0
  fi
  java_on_path="$(command -v java || true)"
  if [[ -n "$java_on_path" ]]; then
    java_on_path="$(readlink -f "$java_on_path")"
    major="$(svcreg_java_major "$java_on_path")"
    if [[ -n "$major" ]] && ((major >= SVCREG_MIN_JAVA)); then
      SVCREG_JAVA_MAJOR="$major"
      JAVA_HOME="$(dirname "$(dirname "$java_on_path")")"
      export JAVA_HOME
      return 0
    fi
  fi
  {
    echo "svcreg needs a JDK $SVCREG_MIN_JAVA or newer and found none" \
      "(JAVA_HOME=${JAVA_HOME:-unset}, searched $jvm_dir and PATH)."
    echo "Install one (Temurin $SVCREG_MIN_JAVA+: /usr/lib/jvm/temurin-$SVCREG_MIN_JAVA-jdk-amd64," \
      "or \`apt-get install openjdk-$SVCREG_MIN_JAVA-jdk\` where your release has it) or set JAVA_HOME."
  } >&2
  exit 3
}

# Sets the array SVCREG_JVM_OPTS: the JVM options svcreg runs with (tools/svcreg, and tools/bench
# controller, which measures the controller as `svcreg serve` runs). EclipseStore needs
# jdk.internal.misc. `serve --unix-socket` reads the pid of a connecting process with its
# connection's file descriptor (sun.nio.ch) and a call of getsockopt through the FFM API (JDK 22+:
# native access, without which the JDK warns; JDK 21 accepts the option and goes without the pid).
# `-XX:TieredStopAtLevel=1` compiles with C1 only: svcreg's work comes in short
# bursts (reading a spec directory, planning, store commits), where the optimizing compiler's
# warm-up costs more CPU than its code saves; a start with 10,000 services takes about half the
# time (with C2, 3.8 s instead of 2.0 s on 2 CPUs); the price is TLS record encryption in C1 code,
# where the JDK's AES-GCM intrinsics do not apply (a registry with many watchers and few services
# may prefer `-XX:TieredStopAtLevel=4`: README, "Registry against etcd"). The serial collector
# suits its small heap and needs no GC threads; the heap starts at 16 MiB and grows with what the
# controller holds (the JVM's default start is 1/64 of the machine's memory, all of it touched by
# the first collections), and a 64 MiB metaspace threshold spares a start without an AOT cache the
# full collection the default threshold causes. Options in SVCREG_JAVA_OPTS come after these and win
# (`-XX:TieredStopAtLevel=4 -XX:+UseG1GC` undo them).
# Call after svcreg_find_java.
svcreg_jvm_options() {
  SVCREG_JVM_OPTS=(--add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED
    -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -XX:MetaspaceSize=64m)
  if ((SVCREG_JAVA_MAJOR >= 23)); then
    SVCREG_JVM_OPTS+=(--sun-misc-unsafe-memory-access=allow)
  fi
}

# Sets the array SVCREG_CDS_OPTS: a class-data archive at ARCHIVE (AppCDS). The first run creates it
# when the JVM exits (about a second more), and again whenever the jar changed; later starts map
# the classes from it instead of loading and verifying them (a start with 10,000 services needs
# about a sixth less CPU). The JVM's CDS messages are silenced: a missing or stale archive is
# simply not used. Call after svcreg_find_java.
svcreg_cds_options() {
  local archive="$1"
  SVCREG_CDS_OPTS=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$archive" '-Xlog:cds*=off')
  if ((SVCREG_JAVA_MAJOR >= 25)); then
    SVCREG_CDS_OPTS+=('-Xlog:aot*=off')
  fi
}

# Prints what an AOT cache depends on besides the jars: the JDK (its runtime image's size and
# modification time) and the JVM options (system properties aside).
svcreg_aot_stamp() {
  local modules="$JAVA_HOME/lib/modules" options=() o
  for o in "$@"; do
    [[ "$o" == -D* ]] || options+=("$o")
  done
  printf '%s %s %s\n' "$(readlink -f "$JAVA_HOME")" \
    "$(stat -c '%s:%Y' "$modules" 2>/dev/null || echo none)" "${options[*]}"
}

# Sets the array SVCREG_CDS_OPTS for `serve` with the JVM options in the arguments (followed by how
# the jar is given, e.g. `-jar JAR`): on JDK 25 and newer an AOT cache (JEP 483, 514, 515) at
# BASE.aot, which holds the classes loaded and linked as well as parsed; on JDK 21 to 24 the AppCDS
# archive BASE.jsa (svcreg_cds_options). The AOT cache comes from a run that records what it loads
# (BASE.aotconf, written when that `serve` stops): the next start creates the cache from it in the
# background (BASE.aot.log), the starts after that use it. Both are deleted, and recorded again,
# when the jar or a library in its lib/ directory is newer, or the JDK or the options changed
# (BASE.aot.stamp). While nothing is recorded yet, a start runs without an archive. Call after
# svcreg_find_java.
svcreg_aot_options() {
  local base="$1"
  shift
  if ((SVCREG_JAVA_MAJOR < 25)); then
    svcreg_cds_options "$base.jsa"
    return 0
  fi
  local cache="$base.aot" conf="$base.aotconf" stampfile="$base.aot.stamp" jar stamp
  jar="$(dirname "$base")/svcreg.jar"
  stamp="$(svcreg_aot_stamp "$@")"
  if [[ ! -f "$stampfile" || "$(cat "$stampfile")" != "$stamp" ]] ||
    [[ -n "$(find "$jar" "$(dirname "$jar")/lib" -newer "$stampfile" -name '*.jar' -print -quit 2>/dev/null)" ]]; then
    rm -f "$cache" "$conf"
    printf '%s\n' "$stamp" >"$stampfile"
  fi
  SVCREG_CDS_OPTS=('-Xlog:aot*=off' '-Xlog:cds*=off')
  if [[ -f "$cache" ]]; then
    SVCREG_CDS_OPTS+=("-XX:AOTCache=$cache")
  elif [[ -f "$conf" ]]; then
    # create the cache beside this start, at a lower priority, one creation at a time, in a process
    # of its own (not a child of the JVM this script becomes)
    ( (
      exec 9>"$cache.lock"
      flock -n 9 || exit 0
      if nice -n 10 "$JAVA_HOME/bin/java" -XX:AOTMode=create "-XX:AOTConfiguration=$conf" \
        "-XX:AOTCache=$cache.tmp" "$@" >"$cache.log" 2>&1 &&
        [[ -s "$cache.tmp" ]]; then
        mv -f "$cache.tmp" "$cache"
        rm -f "$conf"
      else
        rm -f "$cache.tmp" "$conf"
      fi
    ) </dev/null >/dev/null 2>&1 & )
  else
    SVCREG_CDS_OPTS+=(-XX:AOTMode=record "-XX:AOTConfiguration=$conf")
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  svcreg_find_java
  printf '%s\n' "$JAVA_HOME"
fi
