package io.svcreg.store;

import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The store directory's neighbours: its lock, its backup and where an unreadable one is moved. */
final class StoreFiles {

  /** Marks an initialized store: without it, a store with no root is new, else corrupt. */
  static final String MARKER = "svcreg-store";

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private StoreFiles() {}

  /** {@code <dir>.lock}: held (an OS file lock) while a process has the store open. */
  static Path lockFile(Path dir) {
    return sibling(dir, ".lock");
  }

  /** {@code <dir>.bak}: a copy of the store as it was when it was last opened. */
  static Path backup(Path dir) {
    return sibling(dir, ".bak");
  }

  /** Takes the store's lock, or fails if another process (or this one) has the store open. */
  static FileChannel lock(Path dir) {
    Path file = lockFile(dir);
    FileChannel c = null;
    try {
      c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = c.tryLock();
      if (lock == null) {
        throw inUse(dir, file);
      }
      return c;
    } catch (OverlappingFileLockException e) {
      closeQuietly(c);
      throw inUse(dir, file);
    } catch (IOException e) {
      closeQuietly(c);
      throw new SvcregException(
          "cannot lock store " + dir + " (" + file + "): " + e.getMessage(), e);
    } catch (SvcregException e) {
      closeQuietly(c);
      throw e;
    }
  }

  private static SvcregException inUse(Path dir, Path file) {
    return new SvcregException(
        "store " + dir + " is in use by another svcreg process (it holds the lock " + file + ")");
  }

  static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // releasing a lock: nothing to recover
      }
    }
  }

  /** Whether the directory exists and holds anything. */
  static boolean hasContent(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return false;
    }
    if (!Files.isDirectory(dir)) {
      throw new IOException("not a directory");
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    }
  }

  /**
   * Copies the store to {@code <dir>.bak.tmp}, not yet synced: {@link #syncTree} forces it to disk
   * (meanwhile the store may be opened), then {@link #keepBackup} makes it the backup once the
   * store is known to be readable.
   */
  static Path copyForBackup(Path dir) throws IOException {
    Path tmp = sibling(dir, ".bak.tmp");
    deleteTree(tmp);
    try {
      copyTree(dir, tmp);
    } catch (IOException e) {
      try {
        deleteTree(tmp); // e.g. a full disk: the partial copy only takes space
      } catch (IOException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
    return tmp;
  }

  /** Forces every file and directory of a tree to disk. */
  static void syncTree(Path root) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    for (Path f : files) {
      Fsync.file(f);
    }
    Fsync.directories(root);
  }

  /** Replaces {@code <dir>.bak} with the copy. */
  static void keepBackup(Path copy, Path dir) throws IOException {
    Path bak = backup(dir);
    Path old = sibling(dir, ".bak.old");
    deleteTree(old);
    if (Files.exists(bak)) {
      Files.move(bak, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(copy, bak, StandardCopyOption.ATOMIC_MOVE);
    Fsync.directory(dir.getParent());
    deleteTree(old);
  }

  /**
   * Moves an unreadable store to {@code <dir>.corrupt-<UTC time>} and returns where. With {@code
   * pristine} (the copy taken before EclipseStore touched {@code dir}), that copy is what is kept:
   * EclipseStore's start may already have changed {@code dir} (it truncates, and deletes files it
   * finds no live data in), so {@code dir}, a changed copy of it, is deleted.
   */
  static Path moveAside(Path dir, Path pristine, Instant now) throws IOException {
    String base = dir.getFileName() + ".corrupt-" + STAMP.format(now);
    Path target = dir.resolveSibling(base);
    for (int i = 1; Files.exists(target); i++) {
      target = dir.resolveSibling(base + "-" + i);
    }
    if (pristine == null) {
      Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
    } else {
      Files.move(pristine, target, StandardCopyOption.ATOMIC_MOVE);
      Fsync.directory(dir.getParent());
      deleteTree(dir);
    }
    Fsync.directory(dir.getParent());
    return target;
  }

  /** The file that marks a directory as an initialized svcreg store. */
  static Path marker(Path dir) {
    return dir.resolve(MARKER);
  }

  /** Marks the directory as an initialized svcreg store (atomically, synced). */
  static void writeMarker(Path dir) throws IOException {
    Path tmp = dir.resolve(MARKER + ".tmp");
    Files.writeString(
        tmp, "svcreg store, format " + StoreRoot.FORMAT_VERSION + "\n", StandardCharsets.UTF_8);
    Fsync.file(tmp);
    Files.move(
        tmp, marker(dir), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Fsync.directory(dir);
  }

  /**
   * Cuts an incomplete last entry (or a zero-filled tail) off each EclipseStore transaction log, as
   * a crash during an append leaves it: that entry's commit never returned. EclipseStore 2.1.3
   * loops forever on such a tail. Returns the logs that were cut.
   */
  static List<String> cutTornTransactionLogs(Path dir) throws IOException {
    List<String> cut = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return cut;
    }
    List<Path> logs;
    try (Stream<Path> s = Files.walk(dir, 2)) {
      logs =
          s.filter(p -> p.getFileName().toString().matches("transactions_\\d+\\.sft"))
              .filter(Files::isRegularFile)
              .toList();
    }
    for (Path log : logs) {
      byte[] bytes = Files.readAllBytes(log);
      long end = completeLength(bytes);
      if (end < bytes.length) {
        try (FileChannel c = FileChannel.open(log, StandardOpenOption.WRITE)) {
          c.truncate(end);
          c.force(true);
        }
        cut.add(dir.relativize(log) + " (" + (bytes.length - end) + " bytes)");
      }
    }
    return cut;
  }

  /**
   * The length of the log's complete entries: each entry starts with its length in one byte; the
   * log ends early where an entry would reach past the end or only zeros follow.
   */
  static long completeLength(byte[] log) {
    int pos = 0;
    while (pos < log.length) {
      int length = Math.abs(log[pos]);
      if (length == 0) {
        for (int i = pos; i < log.length; i++) {
          if (log[i] != 0) {
            return log.length; // not a torn tail: let EclipseStore report it
          }
        }
        return pos;
      }
      if (pos + length > log.length) {
        return pos;
      }
      pos += length;
    }
    return pos;
  }

  /** Deletes a directory tree (nothing if absent). */
  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /**
   * What the store's data directory still holds of an earlier store when {@code dir} itself is
   * missing or empty: its backup ({@code <dir>.bak}) and unreadable stores moved aside ({@code
   * <dir>.corrupt-*}), oldest first.
   */
  static List<Path> previous(Path dir) throws IOException {
    List<Path> found = new ArrayList<>();
    Path parent = dir.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      return found;
    }
    String aside = dir.getFileName() + ".corrupt-";
    try (Stream<Path> s = Files.list(parent)) {
      s.filter(p -> p.getFileName().toString().startsWith(aside))
          .filter(Files::isDirectory)
          .sorted()
          .forEach(found::add);
    }
    if (Files.isDirectory(backup(dir))) {
      found.add(backup(dir));
    }
    return found;
  }

  /** Copies the backup into {@code dir} (which must not exist) and forces it to disk. */
  static void restoreBackup(Path dir) throws IOException {
    Path tmp = sibling(dir, ".restore.tmp");
    deleteTree(tmp);
    copyTree(backup(dir), tmp);
    syncTree(tmp);
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    Fsync.directory(dir.getParent());
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            Files.createDirectories(to.resolve(from.relativize(d)));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Path target = to.resolve(from.relativize(file));
            Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static Path sibling(Path dir, String suffix) {
    return dir.resolveSibling(dir.getFileName() + suffix);
  }
}
