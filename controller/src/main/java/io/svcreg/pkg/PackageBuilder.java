package io.svcreg.pkg;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.svcreg.schema.PackageManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/**
 * Builds a reproducible package archive from a package directory: the same files, modes and link
 * targets give the same bytes, whoever owns them and whenever they were modified. Entries are in
 * path order (directories included), each with the fixed time, uid/gid 0, no owner names and the
 * permission bits read from the file system; symbolic links stay links (one leading outside the
 * directory is refused); hard links are stored as regular files. The gzip header carries no time
 * and no file name. A checksum list ({@link PackageFormat#CHECKSUMS}) of every regular file is
 * added at the root.
 */
public final class PackageBuilder {

  private final Instant mtime;

  /** A builder stamping every entry with {@code mtime} (e.g. {@code SOURCE_DATE_EPOCH}, or 0). */
  public PackageBuilder(Instant mtime) {
    this.mtime = mtime;
  }

  /** A built archive: where, its size and SHA-256, and its manifest. */
  public record Built(Path file, long size, String sha256, PackageManifest manifest) {}

  /** One file-system entry to archive, by its package-relative path. */
  private record Item(String name, Path path, BasicFileAttributes attrs, int mode) {}

  /** The manifest of {@code dir} after checking it and the required scripts. */
  public static PackageManifest check(Path dir) throws PackageException, IOException {
    if (!Files.isDirectory(dir)) {
      throw new PackageException(dir + " is not a directory; give the package's directory");
    }
    List<String> problems = new ArrayList<>();
    Path m = dir.resolve(PackageFormat.MANIFEST);
    byte[] bytes = null;
    if (Files.isRegularFile(m, NOFOLLOW_LINKS)) {
      if (Files.size(m) > PackageFormat.MAX_MANIFEST_BYTES) {
        throw new PackageException(m + " is larger than 1 MiB");
      }
      bytes = Files.readAllBytes(m);
    }
    Optional<PackageManifest> manifest = ManifestCheck.manifest(m.toString(), bytes, problems);
    ManifestCheck.scripts(manifest, s -> fileMode(dir.resolve(s)), problems);
    if (!problems.isEmpty()) {
      throw new PackageException(problems);
    }
    return manifest.orElseThrow();
  }

  /**
   * Builds the package in {@code dir} into {@code output} (written to a temporary file next to it
   * and renamed into place, so a failed build leaves no partial file).
   */
  public Built build(Path dir, Path output) throws PackageException, IOException {
    PackageManifest manifest = check(dir);
    List<Item> items = items(dir, output);
    Map<String, String> digests = new TreeMap<>();
    for (Item i : items) {
      if (i.attrs().isRegularFile()) {
        try (InputStream in = Files.newInputStream(i.path(), NOFOLLOW_LINKS)) {
          digests.put(i.name(), Checksums.sha256(in));
        }
      }
    }
    byte[] list = Checksums.format(digests).getBytes(StandardCharsets.UTF_8);
    Path parent = output.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, "." + output.getFileName() + ".", ".tmp");
    try {
      MessageDigest sha = Checksums.digest();
      try (OutputStream file = Files.newOutputStream(tmp);
          DigestOutputStream digesting = new DigestOutputStream(file, sha);
          TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip(digesting))) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        boolean listWritten = false;
        for (Item i : items) {
          if (!listWritten && i.name().compareTo(PackageFormat.CHECKSUMS) > 0) {
            writeList(tar, list);
            listWritten = true;
          }
          write(tar, i);
        }
        if (!listWritten) {
          writeList(tar, list);
        }
      }
      Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return new Built(
          output, Files.size(output), HexFormat.of().formatHex(sha.digest()), manifest);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static GzipCompressorOutputStream gzip(OutputStream out) throws IOException {
    GzipParameters p = new GzipParameters();
    p.setModificationTime(0);
    p.setFileName(null);
    p.setOperatingSystem(255);
    p.setCompressionLevel(9);
    return new GzipCompressorOutputStream(out, p);
  }

  /** The entries below {@code dir} in path order, checked; the list and {@code output} left out. */
  private static List<Item> items(Path dir, Path output) throws PackageException, IOException {
    Path realDir = dir.toRealPath();
    Path realOutput = output.toAbsolutePath().normalize();
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(dir)) {
      paths = walk.filter(p -> !p.equals(dir)).toList();
    }
    TreeMap<String, Item> sorted = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (Path p : paths) {
      String name = dir.relativize(p).toString();
      if (name.equals(PackageFormat.CHECKSUMS)
          || p.toAbsolutePath().normalize().equals(realOutput)) {
        continue; // written fresh; never the archive into itself
      }
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
      if (name.equals(PackageFormat.RESERVED)) {
        problems.add("`" + name + "` is a name svcreg reserves; remove it from " + dir);
      } else if (name.indexOf('\n') >= 0 || name.indexOf('\\') >= 0) {
        problems.add("`" + name.replace("\n", "\\n") + "` has a newline or backslash in its name");
      } else if (a.isSymbolicLink()) {
        linkInside(realDir, p, name).ifPresent(problems::add);
      } else if (!a.isDirectory() && !a.isRegularFile()) {
        problems.add(
            "`"
                + name
                + "` is a device, fifo or socket; a package holds only files, directories"
                + " and links");
      }
      sorted.put(name, new Item(name, p, a, a.isSymbolicLink() ? 0777 : mode(p)));
    }
    if (!problems.isEmpty()) {
      throw new PackageException(problems);
    }
    return List.copyOf(sorted.values());
  }

  /** Why the symbolic link {@code p} leads outside {@code realDir}, or empty. */
  private static Optional<String> linkInside(Path realDir, Path p, String name) throws IOException {
    Path target = Files.readSymbolicLink(p);
    if (target.isAbsolute()) {
      return Optional.of(
          "the symbolic link `"
              + name
              + "` points to the absolute path "
              + target
              + "; use a relative target inside the package");
    }
    Path resolved;
    try {
      resolved = p.toRealPath();
    } catch (IOException dangling) {
      resolved = p.toAbsolutePath().getParent().toRealPath().resolve(target).normalize();
    }
    if (!resolved.startsWith(realDir)) {
      return Optional.of(
          "the symbolic link `" + name + "` points outside the package (" + target + ")");
    }
    return Optional.empty();
  }

  private void write(TarArchiveOutputStream tar, Item i) throws IOException {
    BasicFileAttributes a = i.attrs();
    TarArchiveEntry e;
    if (a.isSymbolicLink()) {
      e = new TarArchiveEntry(i.name(), TarConstants.LF_SYMLINK);
      e.setLinkName(Files.readSymbolicLink(i.path()).toString());
      e.setMode(0120777);
    } else if (a.isDirectory()) {
      e = new TarArchiveEntry(i.name() + "/", TarConstants.LF_DIR);
      e.setMode(040000 | i.mode());
    } else {
      e = new TarArchiveEntry(i.name(), TarConstants.LF_NORMAL);
      e.setMode(0100000 | i.mode());
      e.setSize(a.size());
    }
    fixed(e);
    tar.putArchiveEntry(e);
    if (a.isRegularFile()) {
      try (InputStream in = Files.newInputStream(i.path(), NOFOLLOW_LINKS)) {
        long copied = in.transferTo(tar);
        if (copied != a.size()) {
          throw new IOException(i.path() + " changed while the package was built; build again");
        }
      }
    }
    tar.closeArchiveEntry();
  }

  private void writeList(TarArchiveOutputStream tar, byte[] list) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(PackageFormat.CHECKSUMS, TarConstants.LF_NORMAL);
    e.setMode(0100644);
    e.setSize(list.length);
    fixed(e);
    tar.putArchiveEntry(e);
    tar.write(list);
    tar.closeArchiveEntry();
  }

  private void fixed(TarArchiveEntry e) {
    e.setModTime(FileTime.from(mtime));
    e.setUserId(0);
    e.setGroupId(0);
    e.setUserName("");
    e.setGroupName("");
    e.setCreationTime(null);
    e.setLastAccessTime(null);
    e.setStatusChangeTime(null);
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW_LINKS) & 0777;
  }

  /** The permission bits of a regular file (not followed if a link), or empty. */
  private static OptionalInt fileMode(Path p) {
    try {
      return Files.isRegularFile(p, NOFOLLOW_LINKS) ? OptionalInt.of(mode(p)) : OptionalInt.empty();
    } catch (IOException e) {
      return OptionalInt.empty();
    }
  }
}
