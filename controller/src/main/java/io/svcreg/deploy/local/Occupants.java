package io.svcreg.deploy.local;

import io.svcreg.deploy.DirectoryInUse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which live processes of this host run from given directories, before one is deleted: the start
 * recorded in the directory's {@code logs/service.pid} when it is alive with the same start time,
 * and any process whose working directory or executable is inside it ({@code /proc/PID/cwd}, {@code
 * /proc/PID/exe}). Zombies count as gone; processes of other users, whose links cannot be read, are
 * not seen.
 */
final class Occupants {

  /** The record of a start in an install directory: {@code PID START_TICKS}. */
  static final String RECORD = "logs/service.pid";

  /** How much of a command line a report keeps. */
  private static final int COMMAND_CHARS = 200;

  private static final Path PROC = Path.of("/proc");

  private Occupants() {}

  /** Records that {@code pid} was started from {@code home} (as a start on an SSH node does). */
  static void record(Path home, long pid) throws IOException {
    OptionalLong ticks = ProcFs.startTicks(pid);
    if (ticks.isEmpty()) {
      return; // gone already: nothing runs to record
    }
    Path file = home.resolve(RECORD);
    Path tmp = file.resolveSibling("service.pid.tmp");
    Files.writeString(tmp, pid + " " + ticks.getAsLong() + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * The pid recorded in {@code dir}'s {@code logs/service.pid} when that process is alive (not a
   * zombie) with the recorded start time.
   */
  static OptionalLong recorded(Path dir) {
    Path file = dir.resolve(RECORD);
    try {
      String[] f = Files.readString(file, StandardCharsets.UTF_8).trim().split("\\s+");
      if (f.length != 2) {
        return OptionalLong.empty();
      }
      long pid = Long.parseLong(f[0]);
      long ticks = Long.parseLong(f[1]);
      if (pid > 1 && ProcFs.exists(pid) && ProcFs.startTicks(pid).equals(OptionalLong.of(ticks))) {
        return OptionalLong.of(pid);
      }
    } catch (IOException | NumberFormatException e) {
      // no record, or not one svcreg wrote
    }
    return OptionalLong.empty();
  }

  /**
   * The live processes that run from each of {@code dirs} (a directory nothing runs from has no
   * entry); {@code /proc} is listed once for all of them.
   */
  static Map<Path, List<DirectoryInUse.Holder>> of(Collection<Path> dirs) {
    Map<Path, Map<Long, TreeSet<String>>> found = new LinkedHashMap<>();
    if (dirs.isEmpty()) {
      return Map.of();
    }
    List<Path> plain = new ArrayList<>();
    List<Path> real = new ArrayList<>();
    for (Path d : dirs) {
      Path abs = d.toAbsolutePath().normalize();
      plain.add(abs);
      Path r = abs;
      try {
        r = abs.toRealPath();
      } catch (IOException e) {
        // gone, or not reachable: the links name it as it is written
      }
      real.add(r);
      recorded(abs).ifPresent(pid -> add(found, d, pid, DirectoryInUse.Holder.RECORDED));
    }
    List<Path> given = List.copyOf(dirs);
    for (long pid : ProcFs.pids()) {
      for (String kind : List.of("cwd", "exe")) {
        Path target;
        try {
          target = Files.readSymbolicLink(PROC.resolve(Long.toString(pid)).resolve(kind));
        } catch (IOException | RuntimeException e) {
          continue; // gone, a kernel thread, or another user's
        }
        for (int i = 0; i < given.size(); i++) {
          if (target.startsWith(plain.get(i)) || target.startsWith(real.get(i))) {
            if (ProcFs.exists(pid)) {
              add(found, given.get(i), pid, kind);
            }
          }
        }
      }
    }
    Map<Path, List<DirectoryInUse.Holder>> out = new LinkedHashMap<>();
    found.forEach(
        (dir, byPid) -> {
          List<DirectoryInUse.Holder> holders = new ArrayList<>();
          byPid.forEach(
              (pid, how) ->
                  holders.add(new DirectoryInUse.Holder(pid, command(pid), String.join(",", how))));
          out.put(dir, holders);
        });
    return out;
  }

  private static void add(
      Map<Path, Map<Long, TreeSet<String>>> found, Path dir, long pid, String how) {
    found.computeIfAbsent(dir, k -> new TreeMap<>()).computeIfAbsent(pid, k -> new TreeSet<>());
    found.get(dir).get(pid).add(how);
  }

  /** A process's command line, words separated by spaces, shortened for a report. */
  static String command(long pid) {
    try {
      byte[] raw = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline"));
      String text = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
      if (text.isEmpty()) {
        text =
            "[" + Files.readString(PROC.resolve(Long.toString(pid)).resolve("comm")).strip() + "]";
      }
      return text.length() > COMMAND_CHARS ? text.substring(0, COMMAND_CHARS) + "…" : text;
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }
}
