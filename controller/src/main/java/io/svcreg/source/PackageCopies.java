package io.svcreg.source;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.svcreg.deploy.Trees;
import io.svcreg.schema.PackageRef;
import io.svcreg.schema.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The packages an apply brings along. A relative {@code spec.package} of an applied file names a
 * package as the caller has it (next to the applied file, or uploaded with applied text); it is
 * copied to the same relative place next to where the file lands in the spec directory, so the
 * reference resolves there too. A package already there with the same content (files, links, modes)
 * is left alone. A reference whose package the caller does not have is resolved in the spec
 * directory, as written; an absolute one is never copied.
 *
 * <p>A package is never written outside the spec directory, into a hidden directory, or over a spec
 * file (a package directory's YAML files are no specs): such a reference is a problem at its {@code
 * spec.package}. Writes are atomic for the reader: the new package is copied beside the target (a
 * hidden temporary name, fsynced) and renamed into place; a package directory replaces the old one
 * by two renames (the old one aside, the new one in), so a reader sees the old tree or the new one,
 * never a mix, and for that instant possibly none.
 */
final class PackageCopies {

  private PackageCopies() {}

  /** An applied spec file: how problems name it, the directory it lands in, its references. */
  record Applied(
      String shown, Path dir, List<PackageRef> refs, Function<String, Path> callersCopy) {}

  /** One package to copy: the caller's copy, its place in the spec directory, who refers to it. */
  record Copy(Path source, Path target, PackageRef first) {}

  /**
   * What an apply does with packages: the copies to make; for each applied file, the packages it
   * must be validated with, by their place in the spec directory ({@code packagesAt}, see {@code
   * SpecParser.parse}); and the problems. (A spec file already there cannot use a package that is
   * copied: the manifest names one service, which the applied file declares.)
   */
  record Plan(List<Copy> copies, List<Map<Path, Path>> packagesAt, List<Problem> problems) {}

  /**
   * Plans the packages of {@code applied} files into {@code specDir}, whose spec files (those there
   * and those about to be written) are {@code specFiles}; all paths absolute and normalized.
   */
  static Plan plan(Path specDir, List<Applied> applied, Set<Path> specFiles) throws IOException {
    Map<Path, Copy> copies = new TreeMap<>();
    List<Map<Path, Path>> packagesAt = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    for (Applied a : applied) {
      Map<Path, Path> at = new HashMap<>();
      packagesAt.add(at);
      for (PackageRef r : a.refs()) {
        if (Path.of(r.ref()).isAbsolute()) {
          continue;
        }
        Path target = a.dir().resolve(r.ref()).normalize();
        Path source = a.callersCopy().apply(r.ref());
        if (source == null) {
          continue;
        }
        source = source.toAbsolutePath().normalize();
        Copy other = copies.get(target);
        if (other != null && other.source().equals(source)) {
          at.put(target, source);
          continue;
        }
        if (!Files.exists(source)) {
          if (!Files.exists(target)) {
            at.put(target, source); // so that "not found" names where the caller has it
          }
          continue;
        }
        if (Files.exists(target) && Files.isSameFile(source, target)) {
          continue;
        }
        Copy c = new Copy(source, target, r);
        String wrong = other != null ? conflict(c, other) : placement(specDir, c, specFiles);
        if (wrong != null) {
          at.put(target, source); // validated as the caller has it: this is its only problem
          problems.add(
              Problem.at(
                  r.at(),
                  "spec.package",
                  "cannot bring package `"
                      + r.ref()
                      + "` ("
                      + Shown.of(source)
                      + ") along: "
                      + wrong));
        } else if (!identical(source, target)) {
          at.put(target, source);
          copies.put(target, c);
        }
      }
    }
    return new Plan(List.copyOf(copies.values()), packagesAt, problems);
  }

  /** Why {@code c} cannot be written where it goes, or null. */
  private static String placement(Path specDir, Copy c, Set<Path> specFiles) throws IOException {
    Path target = c.target();
    if (specDir.startsWith(target)) {
      return "it would replace the spec directory "
          + Shown.of(specDir)
          + "; give the package a directory of its own";
    }
    if (!target.startsWith(specDir)) {
      if (identical(c.source(), target)) {
        return null; // already there, as the reference expects
      }
      return "it would go to "
          + Shown.of(target)
          + ", outside the spec directory "
          + Shown.of(specDir)
          + ", and apply writes only into the spec directory; keep the package below the"
          + " directory of the spec file, or put it at "
          + Shown.of(target)
          + " first";
    }
    for (Path part : specDir.relativize(target)) {
      if (part.toString().startsWith(".")) {
        return "it would go to "
            + Shown.of(target)
            + ", into the hidden directory `"
            + part
            + "`; refer to a package outside hidden directories";
      }
    }
    for (Path f : specFiles) {
      if (f.startsWith(target)) {
        return "at "
            + Shown.of(target)
            + " it would replace the spec file "
            + Shown.of(f)
            + "; give the package a directory of its own";
      }
    }
    return null;
  }

  /** Why {@code c} and {@code other} cannot both go where they go, or null. */
  private static String conflict(Copy c, Copy other) throws IOException {
    if (identical(c.source(), other.source())) {
      return null;
    }
    return "it would go to "
        + Shown.of(c.target())
        + ", where "
        + other.first().at()
        + " brings "
        + Shown.of(other.source())
        + ", which differs";
  }

  /** Writes a planned copy (see the class comment). */
  static void write(Copy c) throws IOException {
    Path target = c.target();
    Path parent = target.getParent();
    if (!Files.isDirectory(parent)) {
      Files.createDirectories(parent);
      AtomicFiles.fsyncDirectory(parent.getParent());
    }
    Path tmp = sibling(target, ".tmp");
    try {
      copy(c.source().toRealPath(), tmp);
      boolean bothFiles =
          Files.isRegularFile(tmp, NOFOLLOW_LINKS) && Files.isRegularFile(target, NOFOLLOW_LINKS);
      if (bothFiles || !Files.exists(target, NOFOLLOW_LINKS)) {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } else {
        Path old = sibling(target, ".old");
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.fsyncDirectory(parent);
        Trees.delete(old);
      }
      AtomicFiles.fsyncDirectory(parent);
    } finally {
      Trees.delete(tmp);
    }
  }

  /** A hidden, unused name beside {@code target}. */
  private static Path sibling(Path target, String suffix) {
    return target.resolveSibling(
        "."
            + target.getFileName()
            + "."
            + Long.toHexString(ThreadLocalRandom.current().nextLong())
            + suffix);
  }

  /** Copies the file or tree {@code from} to {@code to}: modes and links kept, data fsynced. */
  private static void copy(Path from, Path to) throws IOException {
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(from)) {
      paths = walk.toList(); // parents before their children
    }
    List<Path> dirs = new ArrayList<>();
    for (Path p : paths) {
      Path t = to.resolve(from.relativize(p).toString());
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) {
        Files.createSymbolicLink(t, Files.readSymbolicLink(p));
      } else if (a.isDirectory()) {
        Files.createDirectory(t);
        dirs.add(p);
      } else {
        Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES, NOFOLLOW_LINKS);
        AtomicFiles.fsync(t);
      }
    }
    // Deepest first, and each directory's mode last: a package may hold read-only directories.
    for (Path d : dirs.reversed()) {
      Path t = to.resolve(from.relativize(d).toString());
      AtomicFiles.fsync(t);
      Files.setAttribute(t, "unix:mode", mode(d));
    }
  }

  /**
   * Whether {@code a} and {@code b} hold the same package: the same entries, each of the same type
   * and mode, with the same content (files) or target (links).
   */
  static boolean identical(Path a, Path b) throws IOException {
    if (!Files.exists(a) || !Files.exists(b)) {
      return false;
    }
    Path ra = a.toRealPath();
    Path rb = b.toRealPath();
    Map<String, Entry> left = entries(ra);
    if (!left.equals(entries(rb))) {
      return false;
    }
    for (Map.Entry<String, Entry> e : left.entrySet()) {
      String rel = e.getKey();
      if (e.getValue().type() == 'f' && Files.mismatch(ra.resolve(rel), rb.resolve(rel)) != -1) {
        return false;
      }
    }
    return true;
  }

  /** What is compared of an entry before its content: type ({@code d}, {@code f}, {@code l}). */
  private record Entry(char type, int mode, long size, String link) {}

  private static Map<String, Entry> entries(Path root) throws IOException {
    Map<String, Entry> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
        Entry e =
            a.isSymbolicLink()
                ? new Entry('l', 0, 0, Files.readSymbolicLink(p).toString())
                : new Entry(
                    a.isDirectory() ? 'd' : 'f', mode(p), a.isDirectory() ? 0 : a.size(), "");
        out.put(root.relativize(p).toString(), e);
      }
    }
    return out;
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW_LINKS) & 07777;
  }
}
