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
 * Which files of a spec directory are specs, the one rule that the loader, the watcher, {@code
 * apply} and {@code validate} share: {@code *.yaml} and {@code *.yml}, recursively, skipping {@code
 * .git/}, dotfiles and dot-directories, editor temp files ({@code *~}, {@code .*.swp}, {@code #*#})
 * and package directories (those with a {@code manifest.yaml}: their YAML files are the manifest
 * and configuration, so a spec directory may hold its packages).
 */
public final class SpecFiles {

  private SpecFiles() {}

  /** Whether a file name (not a path) names a spec file. */
  public static boolean isSpecName(String name) {
    if (name.startsWith(".") || name.startsWith("#") || name.endsWith("~")) {
      return false;
    }
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  /**
   * Whether a directory name is skipped with everything below it (dot-directories: {@code .git}).
   */
  public static boolean isSkippedDir(String name) {
    return name.startsWith(".") && !name.equals(".") && !name.equals("..");
  }

  /** Whether {@code dir} is a package directory (it holds a {@code manifest.yaml}). */
  public static boolean isPackageDir(Path dir) {
    return Files.isRegularFile(dir.resolve(Packages.MANIFEST));
  }

  /**
   * Whether the walk from {@code root} reaches {@code path}: it is below {@code root}, and no
   * directory between them (both excluded) is skipped or a package directory.
   */
  public static boolean reachable(Path root, Path path) {
    if (!path.startsWith(root)) {
      return false;
    }
    Path rel = root.relativize(path);
    Path dir = root;
    for (int i = 0; i < rel.getNameCount() - 1; i++) {
      dir = dir.resolve(rel.getName(i));
      if (isSkippedDir(rel.getName(i).toString()) || isPackageDir(dir)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code file} below {@code root} is a spec: its name, and {@link #reachable}. */
  public static boolean isSpec(Path root, Path file) {
    Path name = file.getFileName();
    return name != null && isSpecName(name.toString()) && reachable(root, file);
  }

  /** The spec files below {@code dir}, sorted by path ({@code dir} itself is always walked). */
  public static List<Path> walk(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try {
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
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    out.sort(null);
    return out;
  }
}
