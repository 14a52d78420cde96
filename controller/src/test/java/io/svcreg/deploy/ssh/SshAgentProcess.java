package io.svcreg.deploy.ssh;

import io.svcreg.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH {@code ssh-agent} for tests, in the foreground ({@code -D}) on its own socket, so
 * that the test that starts it also ends it; keys are added with the real {@code ssh-add}.
 */
final class SshAgentProcess implements AutoCloseable {

  final Path socket;
  private final Process process;

  private SshAgentProcess(Path socket, Process process) {
    this.socket = socket;
    this.process = process;
  }

  /** Starts an agent listening on {@code socket} (a short path: at most 107 bytes). */
  static SshAgentProcess start(Path socket) {
    try {
      Process p =
          new ProcessBuilder("ssh-agent", "-D", "-a", socket.toString())
              .redirectErrorStream(true)
              .redirectOutput(Path.of(socket + ".log").toFile())
              .start();
      Waits.atMost(Duration.ofSeconds(10)).until(() -> !p.isAlive() || Files.exists(socket));
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "ssh-agent did not start: " + Files.readString(Path.of(socket + ".log")));
      }
      return new SshAgentProcess(socket, p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Adds the private key {@code key} to the agent with {@code ssh-add}. */
  SshAgentProcess add(Path key) {
    try {
      ProcessBuilder b = new ProcessBuilder("ssh-add", key.toString()).redirectErrorStream(true);
      b.environment().put("SSH_AUTH_SOCK", socket.toString());
      Process p = b.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("ssh-add " + key + " failed: " + out);
      }
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
