package io.svcreg.crash;

import io.svcreg.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@code svcreg} run as its own JVM, like a user runs it: the test's classpath, {@code
 * io.svcreg.Main} and the given arguments, with stdout and stderr in files of the test's directory.
 */
public final class ServeProcess implements AutoCloseable {

  private static final AtomicInteger RUNS = new AtomicInteger();

  private final Process process;
  private final Path out;
  private final Path err;

  private ServeProcess(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
  }

  /** The command line of {@code svcreg args...} in a new JVM. */
  public static List<String> command(List<String> args) {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("--add-exports");
    cmd.add("java.base/jdk.internal.misc=ALL-UNNAMED");
    // the pid of a process on the Unix-domain socket (PeerCredentials), as tools/lib/java.sh
    cmd.add("--add-exports");
    cmd.add("java.base/sun.nio.ch=ALL-UNNAMED");
    cmd.add("--enable-native-access=ALL-UNNAMED");
    if (Runtime.version().feature() >= 23) {
      cmd.add("--sun-misc-unsafe-memory-access=allow");
    }
    // light on a small machine: the controller does little computing
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.svcreg.Main");
    cmd.addAll(args);
    return cmd;
  }

  /** Starts {@code svcreg args...}; its output goes to {@code logs/<n>.out|err}. */
  public static ServeProcess start(Path logs, List<String> args) {
    try {
      Files.createDirectories(logs);
      int n = RUNS.incrementAndGet();
      Path out = logs.resolve(n + ".out");
      Path err = logs.resolve(n + ".err");
      ProcessBuilder pb =
          new ProcessBuilder(command(args))
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
      return new ServeProcess(pb.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code svcreg args...} to its end (at most {@code timeout}, scaled). */
  public static Result run(Path logs, Duration timeout, String... args) {
    try (ServeProcess p = start(logs, List.of(args))) {
      int code = p.awaitExit(timeout);
      return new Result(code, p.stdout(), p.stderr());
    }
  }

  /** What a finished run printed, and its exit code. */
  public record Result(int exitCode, String stdout, String stderr) {}

  /** The process. */
  public Process process() {
    return process;
  }

  /** Whether it still runs. */
  public boolean alive() {
    return process.isAlive();
  }

  /** What it wrote to stdout so far. */
  public String stdout() {
    return read(out);
  }

  /** What it wrote to stderr so far (the log). */
  public String stderr() {
    return read(err);
  }

  /** Its log lines (stderr) so far. */
  public List<String> logLines() {
    return stderr().lines().toList();
  }

  /** SIGKILL, like {@code kill -9}; returns once it is gone. */
  public void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(30));
  }

  /** SIGTERM, like systemd's stop; returns the exit code, failing if it takes over {@code max}. */
  public int terminate(Duration max) {
    process.destroy();
    return awaitExit(max);
  }

  /** Waits for the exit (at most {@code max}, scaled); its exit code. */
  public int awaitExit(Duration max) {
    try {
      if (!process.waitFor(Waits.scaled(max).toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(
            "svcreg (pid " + process.pid() + ") still runs after " + max + "; log:\n" + stderr());
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Asks a running JVM for a thread dump (SIGQUIT; it goes to its stdout) and waits until it is
   * there, for diagnosing a controller that got stuck.
   */
  public void dumpThreads() {
    if (!process.isAlive()) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-QUIT", Long.toString(process.pid()))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor(5, TimeUnit.SECONDS);
      Waits.atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> stdout().contains("Full thread dump") && stdout().contains("JNI global"));
    } catch (IOException | RuntimeException e) {
      // no dump: the process ended meanwhile, or kill is missing
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills it if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Copies the logs of a test's runs to {@code target/serve-logs/<name>} (the module's build
   * directory), where they outlive the test's temporary directory.
   */
  public static void keepLogs(Path logs, String name) {
    if (!Files.isDirectory(logs)) {
      return;
    }
    Path target = Path.of("target", "serve-logs", name);
    try (Stream<Path> files = Files.list(logs)) {
      if (Files.isDirectory(target)) {
        try (Stream<Path> old = Files.list(target)) {
          for (Path f : (Iterable<Path>) old::iterator) {
            Files.delete(f);
          }
        }
      }
      Files.createDirectories(target);
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(
            f, target.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
