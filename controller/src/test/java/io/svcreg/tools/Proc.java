package io.svcreg.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a process to its end and keeps what it printed. */
record Proc(int exitCode, String stdout, String stderr) {

  /** The project's root directory, as the build passes it. */
  static Path projectRoot() {
    String root = System.getProperty("svcreg.project.root");
    if (root == null || root.isBlank()) {
      throw new IllegalStateException("system property svcreg.project.root is not set");
    }
    return Path.of(root).toAbsolutePath().normalize();
  }

  /** The timeout of one process, scaled like every wait in the tests. */
  static long timeoutSeconds(long base) {
    return (long) (base * Double.parseDouble(System.getProperty("svcreg.test.timeoutScale", "1")));
  }

  /** Runs {@code command} in {@code dir} with extra environment variables. */
  static Proc run(Path dir, Map<String, String> env, long timeoutSeconds, List<String> command) {
    try {
      Path out = Files.createTempFile("proc", ".out");
      Path err = Files.createTempFile("proc", ".err");
      try {
        ProcessBuilder pb =
            new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds(timeoutSeconds), TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          throw new AssertionError(
              "timed out after "
                  + timeoutSeconds
                  + " s: "
                  + command
                  + "\n"
                  + Files.readString(err));
        }
        return new Proc(
            p.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
