package io.svcreg.store;

import io.svcreg.core.ObservedState;
import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * Reads a stopped controller's store without touching it: takes its lock (so a running controller
 * is refused with a clear message), copies the store to a temporary directory, and opens the copy.
 *
 * @param observed the observed state
 * @param inventory what the controller installed where
 * @param lastRevision the revision of the last event
 * @param sourceRevision the Git commit of the spec directory last seen, if any
 */
public record StoreCopy(
    ObservedState observed,
    List<InventoryEntry> inventory,
    long lastRevision,
    Optional<String> sourceRevision) {

  /** Reads the store in {@code dir} (a data directory's {@code store}) read-only. */
  public static StoreCopy read(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new SvcregException(
          "no store at " + dir + "; pass the data directory a controller ran with (--data DIR)");
    }
    FileChannel lock = StoreFiles.lock(dir);
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("svcreg-store-copy");
      Path copy = tmp.resolve("store");
      copyTree(dir, copy);
      try (Store s = Store.open(copy, StoreOptions.defaults(), InstantSource.system())) {
        return new StoreCopy(
            s.observed(), s.inventory(), s.lastRevision(), s.meta("sourceRevision"));
      }
    } catch (IOException e) {
      throw new SvcregException("cannot read store " + dir + ": " + e.getMessage(), e);
    } finally {
      StoreFiles.closeQuietly(lock);
      if (tmp != null) {
        deleteTree(tmp);
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
              throws IOException {
            Files.createDirectories(to.resolve(from.relativize(d).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            Files.copy(
                f, to.resolve(from.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary copy is harmless
    }
  }
}
