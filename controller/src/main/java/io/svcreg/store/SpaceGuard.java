package io.svcreg.store;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.serializer.afs.types.WriteController;
import org.eclipse.store.storage.types.StorageWriteControllerReadOnlyMode;

/**
 * Keeps a store from filling its file system: a commit is made only while the file system has more
 * than the reserve free (EclipseStore writes each commit, and its housekeeping rewrites data files,
 * in that space), and EclipseStore's own writes (housekeeping) are switched off while it has not. A
 * full disk thus refuses commits cleanly, with nothing half written, instead of failing one in the
 * middle (after which a store takes no more).
 */
final class SpaceGuard {

  private static final Logger LOG = System.getLogger(SpaceGuard.class.getName());

  private final Path dir;
  private final long reserve;
  private final StorageWriteControllerReadOnlyMode writes =
      new StorageWriteControllerReadOnlyMode(WriteController.Enabled());
  private volatile FileStore fileStore;
  private boolean low;

  SpaceGuard(Path dir, long reserve) {
    this.dir = dir;
    this.reserve = reserve;
    writes.setReadOnly(false); // it starts read-only
  }

  /** The write controller to give EclipseStore: read-only while space is low. */
  StorageWriteControllerReadOnlyMode writeController() {
    return writes;
  }

  /**
   * Why the store cannot take a commit now (its file system's free space is at or below the
   * reserve), or empty. Switches EclipseStore's writes off and on as the space goes and comes.
   */
  synchronized Optional<String> check() {
    long free;
    try {
      FileStore fs = fileStore;
      if (fs == null) {
        fs = Files.getFileStore(dir);
        fileStore = fs;
      }
      free = fs.getUsableSpace();
    } catch (IOException e) {
      return Optional.empty(); // cannot tell: let the write itself say
    }
    boolean nowLow = free <= reserve;
    if (nowLow != low) {
      low = nowLow;
      writes.setReadOnly(nowLow);
      if (nowLow) {
        LOG.log(Level.WARNING, message(free) + "; reads go on");
      } else {
        LOG.log(
            Level.INFO,
            "store " + dir + ": " + kib(free) + " KiB free again; commits are made again");
      }
    }
    return nowLow ? Optional.of(message(free)) : Optional.empty();
  }

  private String message(long free) {
    return "store "
        + dir
        + " is read-only: its file system has "
        + kib(free)
        + " KiB free and the store keeps "
        + kib(reserve)
        + " KiB in reserve; nothing was written (free some space: writes resume by themselves)";
  }

  private static long kib(long bytes) {
    return bytes / 1024;
  }
}
