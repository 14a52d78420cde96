package io.svcreg.deploy.ssh;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/**
 * Packs a checked package tree into a {@code .tar.gz} for upload: sorted entries, file modes
 * preserved, fixed times and owners, fast compression.
 */
final class TarPacker {

  private TarPacker() {}

  /** Writes the tree {@code dir} to {@code archive}. */
  static void pack(Path dir, Path archive) throws IOException {
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(dir)) {
      paths = walk.filter(p -> !p.equals(dir)).sorted().toList();
    }
    GzipParameters gz = new GzipParameters();
    gz.setCompressionLevel(1);
    try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(archive));
        GzipCompressorOutputStream zip = new GzipCompressorOutputStream(file, gz);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(zip)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (Path p : paths) {
        String rel = dir.relativize(p).toString();
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
        TarArchiveEntry e;
        if (a.isSymbolicLink()) {
          e = new TarArchiveEntry(rel, TarConstants.LF_SYMLINK);
          e.setLinkName(Files.readSymbolicLink(p).toString());
        } else if (a.isDirectory()) {
          e = new TarArchiveEntry(rel + "/");
        } else {
          e = new TarArchiveEntry(rel);
          e.setSize(a.size());
        }
        if (!a.isSymbolicLink()) {
          e.setMode((Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW_LINKS));
        }
        e.setModTime(FileTime.fromMillis(0));
        e.setCreationTime(null);
        e.setUserId(0);
        e.setGroupId(0);
        e.setUserName("");
        e.setGroupName("");
        tar.putArchiveEntry(e);
        if (a.isRegularFile()) {
          Files.copy(p, tar);
        }
        tar.closeArchiveEntry();
      }
      tar.finish();
    }
  }
}
