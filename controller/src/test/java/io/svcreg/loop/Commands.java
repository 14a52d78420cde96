package io.svcreg.loop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** System commands the network tests run on this host ({@code ip}, {@code wg}, …). */
final class Commands {

  private Commands() {}

  /** Runs {@code cmd}; its output (stdout and stderr). Fails on a non-zero exit or after 30 s. */
  static String run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + " did not end");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
    }
  }

  /** Runs {@code cmd} for cleaning up: its output, or empty when it failed (already gone). */
  static String runQuietly(String... cmd) {
    try {
      return run(cmd);
    } catch (IllegalStateException e) {
      return "";
    }
  }
}
