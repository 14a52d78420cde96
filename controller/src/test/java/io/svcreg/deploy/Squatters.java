package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Processes svcreg knows nothing of, started by a test from inside install directories (a {@code
 * sleep} whose working directory is there), and killed by {@link #close}; and the package whose
 * {@code stop.sh} says whom it stopped, for the tests of what runs from a directory before it is
 * deleted.
 */
public final class Squatters implements AutoCloseable {

  private final List<Process> started = new ArrayList<>();

  /** Starts {@code sleep 1000} with its working directory {@code dir}. */
  public Process sleepIn(Path dir) throws IOException {
    Process p = new ProcessBuilder("sleep", "1000").directory(dir.toFile()).start();
    started.add(p);
    return p;
  }

  /** Kills {@code p} too at {@link #close}. */
  public void track(Process p) {
    started.add(p);
  }

  /** Ends a process this started, and waits for it. */
  public static void exit(Process p) throws InterruptedException {
    p.destroy();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  /** The holder a deployer reports for {@code p}, found through its working directory. */
  public static DirectoryInUse.Holder cwd(Process p) {
    return new DirectoryInUse.Holder(p.pid(), "sleep 1000", "cwd");
  }

  /**
   * A package in {@code tmp} whose start.sh runs {@code sleep 1000} and whose stop.sh appends
   * {@code stop.sh of NAME VERSION for PID} to the file {@code $STOP_MARK}, then kills it.
   */
  public static Path stopMarking(Path tmp, String name, String version) throws IOException {
    Path dir =
        TestPackages.directory(
            tmp.resolve("src-" + name + "-" + version),
            name,
            "exec sleep 1000",
            "echo \"stop.sh of $SERVICE_NAME $SERVICE_VERSION for $SERVICE_PID\" >> \"$STOP_MARK\"\n"
                + "kill \"$SERVICE_PID\"",
            null);
    Files.writeString(dir.resolve("content"), version);
    return dir;
  }

  /** The {@code spec.env} of a {@link #stopMarking} package: {@code STOP_MARK} in {@code tmp}. */
  public static Map<String, String> stopMark(Path tmp, String service) {
    return Map.of("STOP_MARK", tmp.resolve("stopped-" + service).toString());
  }

  /** What stop.sh of a {@link #stopMarking} package wrote when it stopped {@code pid}. */
  public static String stopMarked(Path tmp, String service) throws IOException {
    return Files.readString(tmp.resolve("stopped-" + service));
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
