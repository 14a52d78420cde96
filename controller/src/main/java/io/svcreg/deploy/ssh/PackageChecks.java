package io.svcreg.deploy.ssh;

import io.svcreg.deploy.PackageRejected;
import io.svcreg.deploy.PackageSources;
import io.svcreg.deploy.Requirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

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

  private final Map<Key, Checked> done =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Checked> eldest) {
          return size() > MAX;
        }
      };
  private final ConcurrentHashMap<Key, ReentrantLock> locks = new ConcurrentHashMap<>();

  /** The check of {@code source}: kept from before for an unchanged archive, else run now. */
  Checked get(Path source, Check check) throws IOException, PackageRejected {
    if (!Files.isRegularFile(source) || !PackageSources.isArchive(source)) {
      return check.run(); // a directory's files may change without its own time changing
    }
    Key key = key(source);
    ReentrantLock lock = locks.computeIfAbsent(key, k -> new ReentrantLock());
    lock.lock();
    try {
      synchronized (done) {
        Checked c = done.get(key);
        if (c != null) {
          return c;
        }
      }
      Checked c = check.run();
      if (key(source).equals(key)) { // not changed while it was read
        synchronized (done) {
          done.put(key, c);
        }
      }
      return c;
    } finally {
      lock.unlock();
      if (!lock.hasQueuedThreads()) {
        locks.remove(key, lock);
      }
    }
  }

  private static Key key(Path source) throws IOException {
    Path p = source.toAbsolutePath().normalize();
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
    return new Key(p, a.size(), a.lastModifiedTime(), a.fileKey());
  }
}
