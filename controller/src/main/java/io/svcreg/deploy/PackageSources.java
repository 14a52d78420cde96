package io.svcreg.deploy;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.svcreg.pkg.Unreadable;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Feeds the entries of a package (a directory, or a {@code .tar.gz} / {@code .tgz} archive) to an
 * {@link Extractor}, with their modes: from the archive headers, or from the directory's POSIX
 * permissions.
 */
public final class PackageSources {

  private PackageSources() {}

  /** Whether {@code source} names a package archive (by its file name). */
  public static boolean isArchive(Path source) {
    String name = source.getFileName() == null ? "" : source.getFileName().toString();
    return name.endsWith(".tar.gz") || name.endsWith(".tgz");
  }

  /** Extracts {@code source} with {@code x}; the caller has checked that it exists. */
  public static void extract(Path source, Extractor x) throws IOException, PackageRejected {
    if (Files.isDirectory(source)) {
      fromDirectory(source, x);
    } else if (Files.isRegularFile(source) && isArchive(source)) {
      fromTarGz(source, x);
    } else {
      throw PackageRejected.invalid(
          "the package " + source + " is neither a directory nor a .tar.gz file");
    }
  }

  private static void fromDirectory(Path source, Extractor x) throws IOException, PackageRejected {
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(source)) {
      paths = walk.sorted().toList(); // parents before their children
    }
    for (Path p : paths) {
      if (p.equals(source)) {
        continue;
      }
      String rel = source.relativize(p).toString();
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) {
        x.symlink(rel, Files.readSymbolicLink(p).toString());
      } else if (a.isDirectory()) {
        x.directory(rel, mode(p));
      } else if (a.isRegularFile()) {
        try (InputStream in = Files.newInputStream(p, NOFOLLOW_LINKS)) {
          x.file(rel, mode(p), in, a.lastModifiedTime());
        }
      } else {
        throw PackageRejected.unsafe(
            "`"
                + rel
                + "` is a device, fifo or socket; a package holds only files, directories"
                + " and links");
      }
    }
  }

  private static void fromTarGz(Path source, Extractor x) throws IOException, PackageRejected {
    try (InputStream file = new BufferedInputStream(Files.newInputStream(source));
        InputStream gz = new Unreadable(gunzip(file, source));
        TarArchiveInputStream tar = new TarArchiveInputStream(gz)) {
      TarArchiveEntry e;
      while ((e = next(tar, source)) != null) {
        String name = e.getName();
        int mode = e.getMode();
        switch (e.getLinkFlag()) {
          case TarConstants.LF_DIR -> x.directory(name, mode);
          case TarConstants.LF_NORMAL, TarConstants.LF_OLDNORM, TarConstants.LF_CONTIG -> {
            if (name.endsWith("/")) {
              x.directory(name, mode); // old tar format: a directory is a "file" ending in /
            } else {
              x.file(name, mode, tar, e.getLastModifiedTime());
            }
          }
          case TarConstants.LF_SYMLINK -> x.symlink(name, e.getLinkName());
          case TarConstants.LF_LINK -> x.hardlink(name, e.getLinkName());
          case TarConstants.LF_CHR, TarConstants.LF_BLK ->
              throw PackageRejected.unsafe(
                  "the entry `"
                      + name
                      + "` is a device; a package holds only files, directories"
                      + " and links");
          case TarConstants.LF_FIFO ->
              throw PackageRejected.unsafe(
                  "the entry `"
                      + name
                      + "` is a fifo; a package holds only files, directories"
                      + " and links");
          default ->
              throw PackageRejected.invalid(
                  "the entry `"
                      + name
                      + "` has an unsupported type ("
                      + (char) e.getLinkFlag()
                      + ")");
        }
      }
    } catch (Unreadable.Failure f) {
      throw PackageRejected.invalid(
          "cannot read the package archive " + source + ": " + f.getCause().getMessage());
    }
  }

  private static InputStream gunzip(InputStream in, Path source) throws PackageRejected {
    try {
      return new GzipCompressorInputStream(in);
    } catch (IOException e) {
      throw PackageRejected.invalid(
          "the package " + source + " is not a gzip-compressed tar file: " + e.getMessage());
    }
  }

  private static TarArchiveEntry next(TarArchiveInputStream tar, Path source)
      throws PackageRejected {
    try {
      TarArchiveEntry e = tar.getNextEntry();
      if (e != null && !e.isCheckSumOK()) {
        throw PackageRejected.invalid(
            "the package archive " + source + " is corrupt (bad header checksum)");
      }
      return e;
    } catch (IOException | IllegalArgumentException e) {
      throw PackageRejected.invalid(
          "the package " + source + " is not a valid .tar.gz: " + e.getMessage());
    }
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW_LINKS);
  }
}
