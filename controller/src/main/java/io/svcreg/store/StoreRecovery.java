package io.svcreg.store;

import io.svcreg.core.ObservedState;
import io.svcreg.core.Snapshot;
import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;

/**
 * What {@code svcreg recover} does to a store that is lost or cannot be read, on the operator's
 * word: restore its backup, or start an empty store. A store that opens is never replaced, and
 * nothing that was there is deleted (an unreadable store is moved aside first).
 */
public final class StoreRecovery {

  private StoreRecovery() {}

  /**
   * Restores the backup {@code <dir>.bak} as the store {@code dir}, and returns one line saying
   * what it holds. Fails when the store opens (nothing to recover), when there is no backup, or
   * when the backup cannot be read either (then it is moved aside like the store, and the backup
   * kept).
   */
  public static String fromBackup(Path dir, InstantSource clock) {
    Path d = dir.toAbsolutePath().normalize();
    setAsideIfUnreadable(d, clock);
    Path bak = StoreFiles.backup(d);
    if (!Files.isDirectory(bak)) {
      throw new SvcregException(
          "store "
              + d
              + " has no backup ("
              + bak
              + " is missing): run `svcreg recover --data "
              + d.getParent()
              + " --empty` to start with an empty store");
    }
    try {
      StoreFiles.deleteTree(d); // empty, or absent: what was there is aside
      StoreFiles.restoreBackup(d);
    } catch (IOException e) {
      throw new SvcregException(
          "cannot restore store " + d + " from " + bak + ": " + e.getMessage(), e);
    }
    try (Store store = Store.open(d, StoreOptions.defaults(), clock)) {
      ObservedState o = store.observed();
      replaceSnapshot(store, d);
      return "restored store "
          + d
          + " from its backup "
          + bak
          + ": revision "
          + store.lastRevision()
          + ", "
          + count(o.services().size(), "service")
          + ", "
          + count(o.networks().size(), "network")
          + "; what the controller did after the backup was taken is not in it";
    } catch (SvcregException e) {
      throw new SvcregException(
          "the backup " + bak + " cannot be read either: " + e.getMessage(), e);
    }
  }

  /**
   * Deletes the store {@code dir} that {@link #fromBackup} restored (a copy: the backup is kept),
   * when it turned out not to be the one to use.
   */
  public static void undoRestore(Path dir) {
    Path d = dir.toAbsolutePath().normalize();
    try {
      StoreFiles.deleteTree(d);
    } catch (IOException e) {
      throw new SvcregException("cannot remove the restored copy " + d + ": " + e.getMessage(), e);
    }
  }

  /**
   * Starts an empty store in {@code dir} and returns one line saying so. Fails when the store opens
   * (nothing to recover); an unreadable store is moved aside first.
   */
  public static String empty(Path dir, InstantSource clock) {
    Path d = dir.toAbsolutePath().normalize();
    try (Store store = emptyStore(d, clock)) {
      replaceSnapshot(store, d);
      return "started an empty store in "
          + d
          + kept(d)
          + "; the services already on the nodes are not known to it";
    }
  }

  /**
   * An empty store opened in {@code dir}, for the caller to fill and close. Fails when the store
   * opens (nothing to recover); an unreadable store is moved aside first.
   */
  public static Store emptyStore(Path dir, InstantSource clock) {
    Path d = dir.toAbsolutePath().normalize();
    setAsideIfUnreadable(d, clock);
    return Store.open(d, StoreOptions.defaults().withStartFreshIfUnreadable(true), clock);
  }

  /**
   * Writes the snapshot next to the store {@code dir} ({@link Snapshot#FILE}) from {@code store},
   * which replaced a lost one: the snapshot left there describes the lost store (its services, a
   * higher revision), and {@code svcreg status --data} must not show it.
   */
  public static void replaceSnapshot(Store store, Path dir) {
    Snapshot.write(
        store.observed(), dir.toAbsolutePath().normalize().resolveSibling(Snapshot.FILE));
  }

  /** What of earlier stores is kept next to {@code dir}, as a clause ("" when nothing). */
  public static String kept(Path dir) {
    Path d = dir.toAbsolutePath().normalize();
    List<Path> kept;
    try {
      kept = StoreFiles.previous(d);
    } catch (IOException e) {
      throw new SvcregException("cannot look at the store's directory " + d.getParent(), e);
    }
    return kept.isEmpty()
        ? ""
        : "; kept "
            + String.join(", ", kept.stream().map(Path::toString).toList())
            + " as they were";
  }

  private static String count(int n, String what) {
    return n + " " + what + (n == 1 ? "" : "s");
  }

  /**
   * Opens the store when it has content: one that opens is closed again and the recovery refused;
   * one that cannot be read has been moved aside by the attempt.
   */
  private static void setAsideIfUnreadable(Path d, InstantSource clock) {
    try {
      if (!StoreFiles.hasContent(d)) {
        return;
      }
    } catch (IOException e) {
      throw new SvcregException("cannot read store " + d + ": " + e.getMessage(), e);
    }
    long revision;
    int services;
    try (Store store = Store.open(d, StoreOptions.defaults(), clock)) {
      revision = store.lastRevision();
      services = store.observed().services().size();
    } catch (SvcregException e) {
      try {
        if (StoreFiles.hasContent(d)) {
          throw e; // not unreadable (e.g. in use by a running controller): left as it is
        }
      } catch (IOException io) {
        throw new SvcregException("cannot read store " + d + ": " + io.getMessage(), io);
      }
      return;
    }
    throw new SvcregException(
        "store "
            + d
            + " opens (revision "
            + revision
            + ", "
            + count(services, "service")
            + "): there is nothing to recover; it is left as it is");
  }
}
