package io.svcreg.deploy.local;

import io.svcreg.core.SvcregException;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.ServiceEnvironment;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * What Linux's {@code /proc} says about processes: state, process group and session. Zombies count
 * as gone: on hosts (and containers) whose init does not reap orphans, a stopped service can stay a
 * zombie indefinitely.
 */
final class ProcFs {

  /**
   * How far two readings of one process's start time may differ: the JDK adds the kernel's boot
   * time, which different readers may see a second apart.
   */
  static final Duration START_TOLERANCE = Duration.ofSeconds(1);

  private static final Path PROC = Path.of("/proc");

  private ProcFs() {}

  /** Fields of {@code /proc/PID/stat}. */
  record Stat(long pid, char state, long ppid, long pgid, long session) {
    /** A process that has exited and is only waiting to be reaped. */
    boolean zombie() {
      return state == 'Z' || state == 'X' || state == 'x';
    }
  }

  /** The stat of a process, or empty when there is none. */
  static Optional<Stat> stat(long pid) {
    try {
      return parse(pid, Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat")));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Parses {@code /proc/PID/stat} text (the command name may hold spaces and parentheses). */
  static Optional<Stat> parse(long pid, String text) {
    int close = text.lastIndexOf(')');
    if (close < 0 || close + 2 >= text.length()) {
      return Optional.empty();
    }
    String[] f = text.substring(close + 2).trim().split(" ");
    if (f.length < 4 || f[0].length() != 1) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new Stat(
              pid,
              f[0].charAt(0),
              Long.parseLong(f[1]),
              Long.parseLong(f[2]),
              Long.parseLong(f[3])));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether a process (not a zombie) with this pid exists. */
  static boolean exists(long pid) {
    return stat(pid).filter(s -> !s.zombie()).isPresent();
  }

  /** Whether {@code ref} is alive: its pid exists, is not a zombie, and started at its time. */
  static boolean matches(ProcessRef ref) {
    if (!exists(ref.pid())) {
      return false;
    }
    Optional<Instant> start = ProcessHandle.of(ref.pid()).flatMap(h -> h.info().startInstant());
    return start.isPresent()
        && Duration.between(start.get(), ref.startTime()).abs().compareTo(START_TOLERANCE) <= 0;
  }

  /**
   * The process groups of the live processes (not zombies) whose environment passes {@code test};
   * processes whose environment cannot be read (another user's) are skipped.
   */
  static Set<Long> groupsWhere(Predicate<Map<String, String>> test) {
    Set<Long> groups = new TreeSet<>();
    for (long pid : pids()) {
      Optional<Stat> s = stat(pid);
      if (s.isPresent() && !s.get().zombie() && test.test(environment(pid))) {
        groups.add(s.get().pgid());
      }
    }
    return groups;
  }

  /** The environment of a process (empty when it cannot be read). */
  static Map<String, String> environment(long pid) {
    try {
      return parseEnvironment(
          Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ")));
    } catch (IOException | RuntimeException e) {
      return Map.of();
    }
  }

  /** Parses {@code /proc/PID/environ} (see {@link ServiceEnvironment#parseEnviron}). */
  static Map<String, String> parseEnvironment(byte[] environ) {
    return ServiceEnvironment.parseEnviron(environ);
  }

  /**
   * The start time of a process in clock ticks after boot (field 22 of {@code /proc/PID/stat}), as
   * {@code logs/service.pid} records it; empty when there is no such process.
   */
  static OptionalLong startTicks(long pid) {
    try {
      return parseStartTicks(Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat")));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /** The start time in {@code /proc/PID/stat} text, in clock ticks after boot. */
  static OptionalLong parseStartTicks(String text) {
    int close = text.lastIndexOf(')');
    if (close < 0 || close + 2 >= text.length()) {
      return OptionalLong.empty();
    }
    String[] f = text.substring(close + 2).trim().split(" ");
    try {
      return f.length > 19 ? OptionalLong.of(Long.parseLong(f[19])) : OptionalLong.empty();
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** The pid a {@code /proc} entry names, or -1 for the other entries. */
  private static long pidOf(String name) {
    if (name.isEmpty() || name.length() > 18) {
      return -1;
    }
    long pid = 0;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      pid = pid * 10 + (c - '0');
    }
    return pid;
  }

  /** The pids in {@code /proc}. */
  static List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
      for (Path p : entries) {
        long pid = pidOf(p.getFileName().toString());
        if (pid > 0) {
          pids.add(pid);
        }
      }
      return pids;
    } catch (IOException e) {
      throw new SvcregException("cannot list the processes in " + PROC + ": " + e.getMessage(), e);
    }
  }

  /**
   * The process group of each pid seen by {@link #groupAlive} (a pid's group does not change once
   * it runs; pids gone from {@code /proc} are dropped at each listing), so that a wait for a group
   * to end reads {@code /proc/PID/stat} only of new processes and of the group's own.
   */
  private static final Map<Long, Long> GROUPS = new ConcurrentHashMap<>();

  /**
   * Whether any process (not a zombie) is in the process group {@code pgid}. While the group's
   * leader runs this reads one file; else it lists {@code /proc} and reads the stat of the pids it
   * has not seen before, so its cost does not grow with the processes that run on the host.
   */
  static boolean groupAlive(long pgid) {
    Optional<Stat> leader = stat(pgid);
    if (leader.isPresent() && leader.get().pgid() == pgid && !leader.get().zombie()) {
      return true;
    }
    Set<Long> listed = new HashSet<>();
    boolean alive = false;
    for (long pid : pids()) {
      listed.add(pid);
      Long group = GROUPS.get(pid);
      if (group == null) {
        Optional<Stat> s = stat(pid);
        if (s.isEmpty()) {
          continue;
        }
        group = s.get().pgid();
        GROUPS.put(pid, group);
      }
      if (!alive && group == pgid) {
        // its stat decides (the pid may be a zombie, or reused by a process of another group)
        Optional<Stat> s = stat(pid);
        s.ifPresent(x -> GROUPS.put(pid, x.pgid()));
        alive = s.isPresent() && s.get().pgid() == pgid && !s.get().zombie();
      }
    }
    GROUPS.keySet().retainAll(listed);
    return alive;
  }
}
