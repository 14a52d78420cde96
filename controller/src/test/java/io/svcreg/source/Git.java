package io.svcreg.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code git} in a test repository (its own identity, no signing, no hooks). */
public final class Git {

  private final Path dir;

  private Git(Path dir) {
    this.dir = dir;
  }

  /** {@code git init -b main} in {@code dir}, with a user name and e-mail in its config. */
  public static Git init(Path dir) {
    Git g = new Git(dir);
    g.run("init", "-q", "-b", "main");
    g.run("config", "user.name", "Test");
    g.run("config", "user.email", "test@example.invalid");
    g.run("config", "commit.gpgsign", "false");
    return g;
  }

  /** Stages everything and commits; returns the new HEAD. */
  public String commitAll(String message) {
    run("add", "-A");
    run("commit", "-q", "--allow-empty", "-m", message);
    return head();
  }

  /** The commit checked out. */
  public String head() {
    return run("rev-parse", "HEAD").strip();
  }

  /** Runs git with these arguments; returns its output; fails the test on a non-zero exit. */
  public String run(String... args) {
    List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("GIT_"));
    try {
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("git " + String.join(" ", args) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError("cannot run git", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
