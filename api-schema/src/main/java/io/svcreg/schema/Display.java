package io.svcreg.schema;

import java.nio.file.Path;

/** File names as a user typed them: relative to the working directory when inside it. */
final class Display {

  private final Path cwd;

  Display(Path cwd) {
    this.cwd = cwd.toAbsolutePath().normalize();
  }

  /** Names files relative to the process's working directory. */
  static Display ofWorkingDirectory() {
    return new Display(Path.of(""));
  }

  /** The working directory names are relative to. */
  Path cwd() {
    return cwd;
  }

  /** How to show {@code p}: normalized, relative to the working directory if inside it. */
  String of(Path p) {
    Path n = p.normalize();
    if (n.isAbsolute() && n.startsWith(cwd)) {
      Path rel = cwd.relativize(n);
      return rel.toString().isEmpty() ? "." : rel.toString();
    }
    String s = n.toString();
    return s.isEmpty() ? "." : s;
  }

  /** The absolute, normalized form of {@code p} (relative paths are taken from the cwd). */
  Path absolute(Path p) {
    return p.isAbsolute() ? p.normalize() : cwd.resolve(p).normalize();
  }
}
