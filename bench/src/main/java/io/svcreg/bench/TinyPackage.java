package io.svcreg.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A package whose service costs next to nothing: {@code start.sh} writes its pid file and {@code
 * exec}s {@code sleep} (named {@value #PROCESS_NAME}, ending by itself after 15 minutes at the
 * latest), {@code health.sh} passes at once, {@code stop.sh} signals the process group. The
 * benchmark then measures the controller, not the services.
 */
final class TinyPackage {

  /** The {@code argv[0]} of a running tiny service, so that cleanup kills only those. */
  static final String PROCESS_NAME = "svcreg-bench-sleep";

  private TinyPackage() {}

  /** Writes the package of service {@code name} into {@code dir}. */
  static void write(Path dir, String name) throws IOException {
    Files.createDirectories(dir.resolve("scripts"));
    Files.writeString(
        dir.resolve("manifest.yaml"),
        """
        name: %s
        version: "1.0.0"
        service:
          type: managed_process
          ports:
            - {name: http, port: 8080, protocol: tcp}
        """
            .formatted(name));
    script(
        dir.resolve("scripts/start.sh"),
        "mkdir -p \"$SERVICE_HOME/run\"\n"
            + "echo \"$$\" >\"$SERVICE_HOME/run/service.pid\"\n"
            + "exec -a "
            + PROCESS_NAME
            + " sleep 900");
    script(
        dir.resolve("scripts/stop.sh"), "kill -TERM -- \"-${SERVICE_PID:?}\" 2>/dev/null || true");
    script(dir.resolve("scripts/health.sh"), "echo ok");
  }

  private static void script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /**
   * Kills every tiny service started below {@code installRoot} (found by their pid files) that is
   * still running; returns how many it killed.
   */
  static int killAll(Path installRoot) {
    if (!Files.isDirectory(installRoot)) {
      return 0;
    }
    List<Path> pidFiles = new ArrayList<>();
    try (Stream<Path> homes = Files.list(installRoot)) {
      homes
          .map(h -> h.resolve("run/service.pid"))
          .filter(Files::isRegularFile)
          .forEach(pidFiles::add);
    } catch (IOException e) {
      return 0;
    }
    List<ProcessHandle> dying = new ArrayList<>();
    for (Path f : pidFiles) {
      Optional<ProcessHandle> p = ours(f);
      if (p.isPresent() && p.get().destroyForcibly()) {
        dying.add(p.get());
      }
    }
    for (ProcessHandle p : dying) {
      try {
        // a child of ours ends when reaped; an orphan whose reaper is gone stays a zombie
        p.onExit().get(5, TimeUnit.SECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // killed; not reaped by us
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return dying.size();
  }

  private static Optional<ProcessHandle> ours(Path pidFile) {
    try {
      long pid = Long.parseLong(Files.readString(pidFile).strip());
      String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
      if (!cmdline.startsWith(PROCESS_NAME + "\0")) {
        return Optional.empty();
      }
      return ProcessHandle.of(pid);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }
}
