package io.svcreg.deploy.local;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs package scripts the way services run: through {@code setsid}, so each run is its own session
 * and process group (its pid is the group id), with a given environment only, stdin from {@code
 * /dev/null} and stdout+stderr to a file; signals whole process groups with {@code kill}; and runs
 * short {@code sh} checks for their output (e.g. of a package's requirements).
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

  /**
   * Runs {@code script} with {@code /bin/sh} and exactly {@code env}, stdin from {@code /dev/null},
   * and returns what it wrote to stdout (stderr is dropped). A script still running after {@code
   * timeout} is killed and the run fails.
   */
  static String output(String script, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    return exec(script, env, timeout, false).output();
  }

  /** What a short script did: its exit status and what it wrote (stdout then stderr). */
  record Ran(int exit, String output) {}

  /**
   * Runs {@code script} with {@code /bin/sh} and exactly {@code env}, stdin from {@code /dev/null},
   * for its exit status and output. A script still running after {@code timeout} is killed and the
   * run fails.
   */
  static Ran run(String script, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    return exec(script, env, timeout, true);
  }

  private static Ran exec(
      String script, Map<String, String> env, Duration timeout, boolean withErrors)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder("/bin/sh", "-c", script).redirectInput(Redirect.from(DEV_NULL));
    if (withErrors) {
      pb.redirectErrorStream(true);
    } else {
      pb.redirectError(Redirect.DISCARD);
    }
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p = pb.start();
    // read while it runs: a script that fills the pipe would otherwise never end
    FutureTask<String> out =
        new FutureTask<>(() -> new String(p.getInputStream().readAllBytes(), UTF_8));
    Thread.ofVirtual().name("svcreg-script-output").start(out);
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("sh did not finish within " + timeout.toSeconds() + " s");
      }
      return new Ran(p.exitValue(), out.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("the output of sh did not end within " + timeout.toSeconds() + " s");
    } finally {
      p.destroyForcibly();
      out.cancel(true);
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
