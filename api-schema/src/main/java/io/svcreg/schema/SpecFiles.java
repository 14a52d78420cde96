package io.svcreg.schema;

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
 * Which files of a spec directory are specs: {@code *.yaml} and {@code *.yml}, recursively,
 * skipping {@code .git/}, dotfiles and dot-directories, editor temp files ({@code *~}, {@code
 * *.swp}, {@code #*#}), and package directories (those with a {@code manifest.yaml}).
 */
final class SpecFiles {

  private SpecFiles() {}

  /** Whether a file name (not a path) names a spec file. */
  static boolean isSpecName(String name) {
    if (name.startsWith(".") || name.startsWith("#") || name.endsWith("~")) {
      return false;
    }
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  /** Whether a directory name is skipped (dot-directories such as {@code .git}). */
  static boolean isSkippedDir(String name) {
    return name.startsWith(".") && !name.equals(".") && !name.equals("..");
  }

  /**
   * Whether a directory below a root is a package ({@code manifest.yaml} in it): its YAML files
   * (the manifest, configuration) are not specs, so spec directories may hold their packages.
   */
  static boolean isPackageDir(Path dir) {
    return Files.isRegularFile(dir.resolve(Packages.MANIFEST));
  }

  /**
   * Whether {@code file} below {@code root} is a spec: its name, and no skipped directory or
   * package directory on the way.
   */
  static boolean isSpec(Path root, Path file) {
    Path rel = root.relativize(file);
    int n = rel.getNameCount();
    Path dir = root;
    for (int i = 0; i < n - 1; i++) {
      dir = dir.resolve(rel.getName(i));
      if (isSkippedDir(rel.getName(i).toString()) || isPackageDir(dir)) {
        return false;
      }
    }
    Path name = file.getFileName();
    return name != null && isSpecName(name.toString());
  }

  /** The spec files below {@code dir}, sorted by path. */
  static List<Path> walk(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            Path name = d.getFileName();
            if (!d.equals(dir)
                && name != null
                && (isSkippedDir(name.toString()) || isPackageDir(d))) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
            Path name = f.getFileName();
            if (name != null && isSpecName(name.toString()) && !attrs.isDirectory()) {
              out.add(f);
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
    out.sort(null);
    return out;
  }
}
