package io.svcreg.crash;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The processes a controller started for services installed below one install root, found in {@code
 * /proc} by their environment ({@code SERVICE_HOME} below the root): services, and any script still
 * running. Found this way, a process the controller lost track of is found too.
 */
public final class ServiceProcesses {

  private static final Path PROC = Path.of("/proc");

  private ServiceProcesses() {}

  /** One process: pid, process group, {@code SERVICE_NAME}, {@code SERVICE_IP}, command line. */
  public record Found(
      long pid, long pgid, String service, String ip, String home, String commandLine) {

    /** Whether it is the service itself (java running {@code bin/*.java}), not a script. */
    boolean isService() {
      return commandLine.contains("/bin/") && commandLine.contains(".java");
    }
  }

  /** Every live process whose {@code SERVICE_HOME} is below {@code installRoot}. */
  public static List<Found> below(Path installRoot) {
    String root = installRoot.toAbsolutePath().normalize() + "/";
    List<Found> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(name);
        Optional<long[]> stat = stat(p);
        if (stat.isEmpty()) {
          continue; // gone, or a zombie
        }
        Map<String, String> env = environment(p);
        String home = env.get("SERVICE_HOME");
        if (home == null || !(home + "/").startsWith(root)) {
          continue;
        }
        found.add(
            new Found(
                pid,
                stat.get()[0],
                env.getOrDefault("SERVICE_NAME", ""),
                env.getOrDefault("SERVICE_IP", ""),
                home,
                commandLine(p)));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + PROC, e);
    }
    return found;
  }

  /** The service processes (not scripts) below {@code installRoot}. */
  static List<Found> services(Path installRoot) {
    return below(installRoot).stream().filter(Found::isService).toList();
  }

  /**
   * Kills every process group (and process) found below {@code installRoot} with SIGKILL; returns
   * how many groups it signalled.
   */
  static int killAll(Path installRoot) {
    TreeSet<Long> groups = new TreeSet<>();
    for (Found f : below(installRoot)) {
      groups.add(f.pgid());
      ProcessHandle.of(f.pid()).ifPresent(ProcessHandle::destroyForcibly);
    }
    for (long g : groups) {
      if (g > 1) {
        signalGroup(g);
      }
    }
    return groups.size();
  }

  private static void signalGroup(long pgid) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-KILL", "--", "-" + pgid)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      kill.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      // the group is gone, or kill is missing: nothing more to do
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {pgid} of a live, non-zombie process. */
  private static Optional<long[]> stat(Path proc) {
    try {
      String text = Files.readString(proc.resolve("stat"));
      String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
      char state = f[0].charAt(0);
      if (state == 'Z' || state == 'X') {
        return Optional.empty();
      }
      return Optional.of(new long[] {Long.parseLong(f[2])});
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Map<String, String> environment(Path proc) {
    Map<String, String> env = new HashMap<>();
    try {
      String all = new String(Files.readAllBytes(proc.resolve("environ")), StandardCharsets.UTF_8);
      for (String kv : all.split("\0")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not ours to read, or gone
    }
    return env;
  }

  private static String commandLine(Path proc) {
    try {
      return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
          .replace('\0', ' ')
          .strip();
    } catch (IOException e) {
      return "";
    }
  }
}
