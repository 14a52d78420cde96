package io.svcreg.deploy.ssh;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.svcreg.deploy.PackageRejected;
import io.svcreg.deploy.PackageSources;
import io.svcreg.deploy.Requirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The results of checking {@code .tar.gz} packages on the controller's host, kept per file (path,
 * size, modification time, inode), so that installing one package on many nodes extracts and checks
 * it once; concurrent installs of the same file wait for the one check. A changed or replaced file
 * is checked again; a rejected package is never kept.
 */
final class PackageChecks {

  /** What the check of a package found. */
  record Checked(
      String checksum,
      Requirements requirements,
      Path archive,
      long size,
      String sha256,
      long treeBytes) {}

  /** Checks a package (extracts it into a scratch directory). */
  interface Check {
    /** Runs the check. */
    Checked run() throws IOException, PackageRejected;
  }

  private record Key(Path path, long size, FileTime modified, Object fileKey) {}

  private static final int MAX = 64;

  /** The checks shared by every deployer of this controller. */
  static final PackageChecks SHARED = new PackageChecks();

  /**
   * The checks made or under way, the least recently used dropped beyond {@link #MAX}. An entry is
   * a future put in place at once, and the check runs outside the cache, so a long check of one
   * package never holds up the lookups of others (a loader run inside the cache's compute could); a
   * lookup of a key being checked waits for that check; a failed check keeps nothing.
   */
  private final Cache<Key, CompletableFuture<Checked>> done =
      Caffeine.newBuilder().maximumSize(MAX).executor(Runnable::run).build();

  /** The check of {@code source}: kept from before for an unchanged archive, else run now. */
  Checked get(Path source, Check check) throws IOException, PackageRejected {
    if (!Files.isRegularFile(source) || !PackageSources.isArchive(source)) {
      return check.run(); // a directory's files may change without its own time changing
    }
    Key key = key(source);
    CompletableFuture<Checked> mine = new CompletableFuture<>();
    CompletableFuture<Checked> f = done.asMap().putIfAbsent(key, mine);
    if (f == null) {
      f = mine;
      try {
        mine.complete(check.run());
      } catch (IOException | PackageRejected | RuntimeException e) {
        done.asMap().remove(key, mine);
        mine.completeExceptionally(e);
      }
    }
    Checked c;
    try {
      c = f.join();
    } catch (CompletionException e) {
      switch (e.getCause()) {
        case IOException io -> throw io;
        case PackageRejected r -> throw r;
        case RuntimeException r -> throw r;
        default -> throw e;
      }
    }
    if (!key(source).equals(key)) { // changed while it was read: not kept
      done.asMap().remove(key, f);
    }
    return c;
  }

  private static Key key(Path source) throws IOException {
    Path p = source.toAbsolutePath().normalize();
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
    return new Key(p, a.size(), a.lastModifiedTime(), a.fileKey());
  }
}
