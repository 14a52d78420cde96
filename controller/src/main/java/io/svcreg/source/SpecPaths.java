package io.svcreg.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Which paths of a spec directory are specs, with the loader's rules: {@code *.yaml} and {@code
 * *.yml}, recursively, skipping {@code .git/}, dotfiles, dot-directories and editor temp files
 * ({@code *~}, {@code #*#}, {@code .*.swp}).
 */
final class SpecPaths {

  private SpecPaths() {}

  /** Whether a file name (not a path) names a spec file. */
  static boolean isSpecName(String name) {
    if (name.startsWith(".") || name.startsWith("#") || name.endsWith("~")) {
      return false;
    }
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  /** Whether a directory (or file) name is skipped: dot-names such as {@code .git}. */
  static boolean isSkipped(String name) {
    return name.startsWith(".") && !name.equals(".") && !name.equals("..");
  }

  /** Whether {@code path} below {@code root} lies in a skipped directory or is itself skipped. */
  static boolean isIgnored(Path root, Path path) {
    Path rel = root.relativize(path);
    for (Path part : rel) {
      String s = part.toString();
      if (isSkipped(s) || s.startsWith("#") || s.endsWith("~")) {
        return true;
      }
    }
    return false;
  }

  /** The spec files below {@code dir}, sorted by path. */
  static List<Path> specFiles(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
              Path name = d.getFileName();
              if (!d.equals(dir) && name != null && isSkipped(name.toString())) {
                return FileVisitResult.SKIP_SUBTREE;
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
              Path name = f.getFileName();
              if (name != null && !attrs.isDirectory() && isSpecName(name.toString())) {
                files.add(f);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
              if (f.equals(dir)) {
                throw new UncheckedIOException(e);
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    files.sort(null);
    return files;
  }
}
