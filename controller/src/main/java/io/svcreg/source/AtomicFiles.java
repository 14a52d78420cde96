package io.svcreg.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file so that a reader sees either the old or the new content, never a part, even
 * across a crash: write a temp dotfile in the same directory, fsync it, rename it over the target
 * atomically, fsync the directory.
 */
public final class AtomicFiles {

  private AtomicFiles() {}

  /** Writes {@code data} to {@code target} atomically, keeping the old file's permissions. */
  public static void write(Path target, byte[] data) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    boolean created = !Files.isDirectory(dir);
    if (created) {
      Files.createDirectories(dir);
      fsyncDirectory(dir.getParent());
    }
    Path tmp =
        dir.resolve(
            "."
                + target.getFileName()
                + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + ".tmp");
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(data);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      copyPermissions(target, tmp);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically", e);
      }
      fsyncDirectory(dir);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Flushes a directory's entries (a rename, a new file) to disk. */
  public static void fsyncDirectory(Path dir) throws IOException {
    if (dir != null) {
      fsync(dir);
    }
  }

  /** Flushes a file's data, or a directory's entries, to disk. */
  static void fsync(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static void copyPermissions(Path from, Path to) throws IOException {
    if (!Files.isRegularFile(from)) {
      return;
    }
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(from);
      Files.setPosixFilePermissions(to, perms);
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: the default permissions apply.
    }
  }
}
