package io.svcreg.deploy;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.svcreg.pkg.Containment;
import io.svcreg.pkg.PackageException;
import io.svcreg.pkg.PackageVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Writes the entries of a package into a fresh directory, refusing any entry that could write or
 * point outside it: absolute names, {@code ..}, entries below a symbolic link, links leading
 * outside (checked by {@link Containment} once every entry is written), hard links to anything but
 * an earlier file. Modes are applied as given (permission bits only: no setuid, setgid or sticky);
 * directory modes are applied last, so read-only directories can still be filled.
 */
public final class Extractor {

  private final Path root;
  private final Map<Path, Integer> dirModes = new HashMap<>();
  private final List<Path> symlinks = new ArrayList<>();
  private final Map<Path, String> digests = new HashMap<>();

  /** An extractor into {@code root}, an existing empty directory. */
  public Extractor(Path root) {
    this.root = root;
  }

  /** A directory entry. */
  void directory(String name, int mode) throws IOException, PackageRejected {
    String rel = normalize(name);
    if (rel.isEmpty()) {
      return; // the package root itself
    }
    Path p = prepare(rel, name);
    if (Files.exists(p, NOFOLLOW_LINKS)) {
      if (!Files.isDirectory(p, NOFOLLOW_LINKS)) {
        throw PackageRejected.invalid("the package holds `" + rel + "` twice");
      }
    } else {
      Files.createDirectory(p);
    }
    dirModes.put(p, mode & 0777);
  }

  /** A regular file entry with its content. */
  void file(String name, int mode, InputStream content, FileTime modified)
      throws IOException, PackageRejected {
    String rel = named(name);
    Path p = prepare(rel, name);
    absent(p, rel);
    MessageDigest digest = sha256();
    try (OutputStream out =
        Files.newOutputStream(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new DigestInputStream(content, digest).transferTo(out);
    }
    digests.put(p, HexFormat.of().formatHex(digest.digest()));
    Files.setPosixFilePermissions(p, permissions(mode));
    if (modified != null) {
      Files.setLastModifiedTime(p, modified);
    }
  }

  /** A symbolic link entry; {@code target} must be relative and lead inside the package. */
  void symlink(String name, String target) throws IOException, PackageRejected {
    String rel = named(name);
    if (target == null || target.isEmpty()) {
      throw PackageRejected.invalid("the symbolic link `" + rel + "` has no target");
    }
    if (target.startsWith("/")) {
      throw PackageRejected.unsafe(
          "the symbolic link `" + rel + "` points to the absolute path " + target);
    }
    if (target.indexOf('\0') >= 0) {
      throw PackageRejected.unsafe("the symbolic link `" + rel + "` has a malformed target");
    }
    int depth = rel.split("/").length - 1;
    for (String part : target.split("/")) {
      if (part.equals("..")) {
        if (--depth < 0) {
          throw PackageRejected.unsafe(
              "the symbolic link `" + rel + "` points outside the package (" + target + ")");
        }
      } else if (!part.isEmpty() && !part.equals(".")) {
        depth++;
      }
    }
    Path p = prepare(rel, name);
    absent(p, rel);
    Files.createSymbolicLink(p, Path.of(target));
    symlinks.add(p);
  }

  /** A hard link entry; {@code target} must name an earlier regular file of the package. */
  void hardlink(String name, String target) throws IOException, PackageRejected {
    String rel = named(name);
    String to;
    try {
      to = normalize(target == null ? "" : target);
    } catch (PackageRejected e) {
      throw PackageRejected.unsafe(
          "the hard link `" + rel + "` points outside the package (" + target + ")");
    }
    Path t = to.isEmpty() ? null : inside(to);
    if (t == null || !Files.isRegularFile(t, NOFOLLOW_LINKS)) {
      throw PackageRejected.unsafe(
          "the hard link `"
              + rel
              + "` must point to an earlier file of the package, not "
              + target);
    }
    Path p = prepare(rel, name);
    absent(p, rel);
    Files.createLink(p, t);
    digests.put(p, digests.get(t));
  }

  /**
   * Checks every symbolic link now that all entries are written, and returns the checksum of the
   * tree: SHA-256 over each entry's kind, path, mode and content (or link target), in path order.
   */
  public String finish() throws IOException, PackageRejected {
    for (Path link : symlinks) {
      Optional<String> escape = Containment.escape(root, link);
      if (escape.isPresent()) {
        throw PackageRejected.unsafe(
            "the symbolic link `" + root.relativize(link) + "` " + escape.get());
      }
    }
    String checksum = checksum();
    List<Path> dirs = new ArrayList<>(dirModes.keySet());
    dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    for (Path d : dirs) {
      Files.setPosixFilePermissions(d, permissions(dirModes.get(d)));
    }
    return checksum;
  }

  private String checksum() throws IOException {
    TreeMap<String, String> lines = new TreeMap<>();
    List<Path> all;
    try (Stream<Path> walk = Files.walk(root)) {
      all = walk.filter(p -> !p.equals(root)).toList();
    }
    for (Path p : all) {
      String rel = root.relativize(p).toString();
      if (Files.isSymbolicLink(p)) {
        lines.put(rel, "l " + rel + " " + Files.readSymbolicLink(p));
      } else if (Files.isDirectory(p, NOFOLLOW_LINKS)) {
        lines.put(rel, "d " + rel + " " + Integer.toOctalString(dirModes.getOrDefault(p, 0755)));
      } else {
        lines.put(rel, "f " + rel + " " + Integer.toOctalString(mode(p)) + " " + digests.get(p));
      }
    }
    MessageDigest all256 = sha256();
    for (String line : lines.values()) {
      all256.update(line.getBytes(StandardCharsets.UTF_8));
      all256.update((byte) '\n');
    }
    return HexFormat.of().formatHex(all256.digest());
  }

  /** The entry name as a relative path without {@code .} parts; "" for the root. */
  static String normalize(String name) throws PackageRejected {
    try {
      return PackageVerifier.entryName(name);
    } catch (PackageException e) {
      throw PackageRejected.unsafe(e.getMessage());
    }
  }

  private static String named(String name) throws PackageRejected {
    String rel = normalize(name);
    if (rel.isEmpty()) {
      throw PackageRejected.invalid("the package has an entry without a name (`" + name + "`)");
    }
    return rel;
  }

  /**
   * The path of {@code rel} below the root, after checking that no parent is a symbolic link or a
   * file, creating missing parent directories.
   */
  private Path prepare(String rel, String name) throws IOException, PackageRejected {
    String[] parts = rel.split("/");
    Path p = root;
    for (int i = 0; i < parts.length - 1; i++) {
      p = p.resolve(parts[i]);
      if (dirModes.containsKey(p)) {
        continue; // a directory this extractor made: not a link, not a file
      }
      if (Files.isSymbolicLink(p)) {
        throw PackageRejected.unsafe(
            "the entry `" + name + "` goes through the symbolic link `" + root.relativize(p) + "`");
      }
      if (!Files.exists(p, NOFOLLOW_LINKS)) {
        Files.createDirectory(p);
        dirModes.putIfAbsent(p, 0755); // a directory the archive implies without an entry
      } else if (!Files.isDirectory(p, NOFOLLOW_LINKS)) {
        throw PackageRejected.invalid(
            "the entry `" + name + "` is below `" + root.relativize(p) + "`, which is a file");
      }
    }
    return p.resolve(parts[parts.length - 1]);
  }

  /** The path of {@code rel} if none of its parents is a symbolic link, else null. */
  private Path inside(String rel) {
    String[] parts = rel.split("/");
    Path p = root;
    for (int i = 0; i < parts.length; i++) {
      p = p.resolve(parts[i]);
      if (i < parts.length - 1 && !Files.isDirectory(p, NOFOLLOW_LINKS)) {
        return null;
      }
    }
    return p;
  }

  private static void absent(Path p, String rel) throws PackageRejected {
    if (Files.exists(p, NOFOLLOW_LINKS)) {
      throw PackageRejected.invalid("the package holds `" + rel + "` twice");
    }
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW_LINKS) & 0777;
  }

  /** The permission bits of a mode (setuid, setgid and sticky are dropped). */
  public static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = {
      PosixFilePermission.OTHERS_EXECUTE,
      PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE,
      PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (1 << i)) != 0) {
        set.add(bits[i]);
      }
    }
    return set;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
