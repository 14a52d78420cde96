package io.svcreg.deploy.local;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs package scripts the way services run: through {@code setsid}, so each run is its own session
 * and process group (its pid is the group id), with a given environment only, stdin from {@code
 * /dev/null} and stdout+stderr to a file; and signals whole process groups with {@code kill}.
 */
final class Scripts {

  private static final File DEV_NULL = new File("/dev/null");
  private static final String SETSID = executable("setsid");
  private static final String KILL = executable("kill");

  private Scripts() {}

  /**
   * Starts {@code script} in {@code home} with exactly {@code env}, its stdout and stderr appended
   * to {@code log}. The Java child is never a process group leader, so {@code setsid} does not
   * fork: the returned process is the script itself (and, if it execs, the service).
   *
   * <p>Both streams are redirected to the file rather than merged ({@code redirectErrorStream}):
   * the JDK keeps a pipe open in the controller for each live child started with merged streams, so
   * a fleet of thousands of services would hold thousands of descriptors, which every later start
   * walks through to close them in the child.
   */
  static Process spawn(Path home, Path script, Map<String, String> env, Path log)
      throws IOException {
    Redirect append = Redirect.appendTo(log.toFile());
    ProcessBuilder pb =
        new ProcessBuilder(SETSID, script.toString())
            .directory(home.toFile())
            .redirectInput(Redirect.from(DEV_NULL))
            .redirectOutput(append)
            .redirectError(append);
    pb.environment().clear();
    pb.environment().putAll(env);
    return pb.start();
  }

  /**
   * Sends {@code signal} (e.g. {@code TERM}) to every process of group {@code pgid}; false when
   * {@code kill} failed (e.g. no such group any more).
   */
  static boolean signalGroup(long pgid, String signal) throws InterruptedException {
    if (pgid <= 1) {
      throw new IllegalArgumentException("refusing to signal process group " + pgid);
    }
    try {
      Process kill =
          new ProcessBuilder(KILL, "-s", signal, "--", "-" + pgid)
              .redirectInput(Redirect.from(DEV_NULL))
              .redirectOutput(Redirect.DISCARD)
              .redirectError(Redirect.DISCARD)
              .start();
      if (!kill.waitFor(5, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
        return false;
      }
      return kill.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** The absolute path of a system command when found in the usual places, else its name. */
  private static String executable(String name) {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return name;
  }
}
