package io.svcreg.source;

import java.nio.file.Path;

/** File names as a user typed them: relative to the working directory when inside it. */
final class Shown {

  private Shown() {}

  /** How to show {@code p}: normalized, relative to the working directory if inside it. */
  static String of(Path p) {
    Path n = p.normalize();
    Path cwd = Path.of("").toAbsolutePath().normalize();
    if (n.isAbsolute() && n.startsWith(cwd)) {
      String rel = cwd.relativize(n).toString();
      return rel.isEmpty() ? "." : rel;
    }
    String s = n.toString();
    return s.isEmpty() ? "." : s;
  }
}
