package io.svcreg.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The Git commit checked out in the work tree that holds a directory: {@code git rev-parse HEAD}
 * when {@code git} is installed, otherwise read from {@code .git/HEAD} and the loose or packed ref
 * it names (work trees whose {@code .git} is a file, and linked work trees, are followed).
 */
public final class GitRevision {

  private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");
  private static final long GIT_TIMEOUT_SECONDS = 10;
  private static final List<String> GIT_ENV =
      List.of(
          "GIT_DIR",
          "GIT_WORK_TREE",
          "GIT_INDEX_FILE",
          "GIT_COMMON_DIR",
          "GIT_OBJECT_DIRECTORY",
          "GIT_CEILING_DIRECTORIES");

  private GitRevision() {}

  /**
   * Where a work tree's Git data is: {@code gitDir} holds {@code HEAD}, {@code commonDir} the refs
   * and {@code packed-refs} (the same directory except in linked work trees).
   */
  record Location(Path gitDir, Path commonDir) {}

  /** The commit checked out in the Git work tree containing {@code dir}; empty outside one. */
  public static Optional<String> of(Path dir) {
    Optional<Location> at = locate(dir);
    if (at.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> viaGit = fromGit(dir);
    return viaGit.isPresent() ? viaGit : fromFiles(at.get());
  }

  /**
   * The Git data of the work tree containing {@code dir}, found by walking up to a {@code .git}.
   */
  static Optional<Location> locate(Path dir) {
    for (Path d = dir.toAbsolutePath().normalize(); d != null; d = d.getParent()) {
      Path dotGit = d.resolve(".git");
      if (Files.isDirectory(dotGit)) {
        return Optional.of(new Location(dotGit, commonDir(dotGit)));
      }
      if (Files.isRegularFile(dotGit)) {
        Optional<String> line = firstLine(dotGit);
        if (line.isEmpty() || !line.get().startsWith("gitdir:")) {
          return Optional.empty();
        }
        Path gitDir = d.resolve(line.get().substring("gitdir:".length()).trim()).normalize();
        return Files.isDirectory(gitDir)
            ? Optional.of(new Location(gitDir, commonDir(gitDir)))
            : Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Asks {@code git rev-parse HEAD}; empty when git is missing, fails or says something odd. */
  static Optional<String> fromGit(Path dir) {
    ProcessBuilder pb =
        new ProcessBuilder("git", "-C", dir.toAbsolutePath().toString(), "rev-parse", "HEAD");
    Map<String, String> env = pb.environment();
    GIT_ENV.forEach(env::remove);
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return Optional.empty();
    }
    try (InputStream out = p.getInputStream()) {
      String text = new String(out.readNBytes(4096), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(GIT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Optional.empty();
      }
      return p.exitValue() == 0 && SHA.matcher(text).matches()
          ? Optional.of(text)
          : Optional.empty();
    } catch (IOException e) {
      p.destroyForcibly();
      return Optional.empty();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Reads {@code HEAD} and the ref it names (loose, then packed); empty on an unborn branch. */
  static Optional<String> fromFiles(Location at) {
    String ref = "HEAD";
    for (int depth = 0; depth < 5; depth++) {
      Path file = (ref.equals("HEAD") ? at.gitDir() : at.commonDir()).resolve(ref);
      Optional<String> line = firstLine(file);
      if (line.isEmpty()) {
        return ref.equals("HEAD") ? Optional.empty() : packed(at.commonDir(), ref);
      }
      String value = line.get().trim();
      if (SHA.matcher(value).matches()) {
        return Optional.of(value);
      }
      if (!value.startsWith("ref:")) {
        return Optional.empty();
      }
      ref = value.substring("ref:".length()).trim();
      if (!ref.startsWith("refs/") || ref.contains("..")) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** The file a symbolic {@code HEAD} points at (e.g. {@code .git/refs/heads/main}), if any. */
  static Optional<Path> headRefFile(Location at) {
    Optional<String> line = firstLine(at.gitDir().resolve("HEAD"));
    if (line.isEmpty() || !line.get().startsWith("ref:")) {
      return Optional.empty();
    }
    String ref = line.get().substring("ref:".length()).trim();
    if (!ref.startsWith("refs/") || ref.contains("..")) {
      return Optional.empty();
    }
    return Optional.of(at.commonDir().resolve(ref));
  }

  private static Optional<String> packed(Path commonDir, String ref) {
    List<String> lines;
    try {
      lines = Files.readAllLines(commonDir.resolve("packed-refs"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return Optional.empty();
    }
    for (String l : lines) {
      if (l.startsWith("#") || l.startsWith("^")) {
        continue;
      }
      int space = l.indexOf(' ');
      if (space > 0 && l.substring(space + 1).equals(ref)) {
        String sha = l.substring(0, space);
        return SHA.matcher(sha).matches() ? Optional.of(sha) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static Path commonDir(Path gitDir) {
    Optional<String> line = firstLine(gitDir.resolve("commondir"));
    return line.map(l -> gitDir.resolve(l.trim()).normalize()).orElse(gitDir);
  }

  private static Optional<String> firstLine(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return lines.isEmpty() ? Optional.empty() : Optional.of(lines.get(0));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
