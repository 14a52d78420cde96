package io.svcreg.source;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import io.svcreg.schema.SpecFiles;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Watches a directory tree with the JDK's {@link WatchService} and reports hints: a path that may
 * have changed (a spec file, or a directory created or deleted), or that everything may have
 * (overflow, a lost watch). It watches the directories that {@link SpecFiles} walks, new ones as
 * they appear; skipped directories ({@code .git}, dot-directories), package directories and files
 * that are not specs are neither watched nor reported. Extra directories (a Git directory) can be
 * watched without recursion; any event in them is reported as {@link Hints#extra}. Runs one daemon
 * thread until {@link #close}.
 */
final class DirectoryWatcher implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(DirectoryWatcher.class.getName());

  /** Where hints go. */
  interface Hints {
    /** {@code path} may have changed. */
    void changed(Path path);

    /** Anything may have changed: rescan everything. */
    void everything();

    /** Something changed in an extra directory (e.g. a new Git commit). */
    void extra();
  }

  private final Path root;
  private final Hints hints;
  private final WatchService service;
  private final Map<WatchKey, Path> trees = new HashMap<>();
  private final Map<Path, WatchKey> treeDirs = new HashMap<>();
  private final Map<WatchKey, Path> extras = new HashMap<>();
  private final Thread thread;

  private DirectoryWatcher(Path root, Hints hints, WatchService service) {
    this.root = root;
    this.hints = hints;
    this.service = service;
    this.thread = new Thread(this::run, "svcreg-spec-watch");
    this.thread.setDaemon(true);
  }

  /** Watches {@code root} (an existing directory) and its subdirectories; starts the thread. */
  static DirectoryWatcher start(Path root, Hints hints) throws IOException {
    WatchService ws = root.getFileSystem().newWatchService();
    DirectoryWatcher w = new DirectoryWatcher(root, hints, ws);
    try {
      w.registerTree(root);
    } catch (IOException | RuntimeException e) {
      ws.close();
      throw e;
    }
    w.thread.start();
    return w;
  }

  /** Makes sure every directory of the tree is watched (after a lost watch or an overflow). */
  void rewatch() {
    try {
      registerTree(root);
    } catch (IOException e) {
      LOG.log(Level.DEBUG, () -> "cannot list " + root + ": " + e.getMessage());
    }
  }

  /** Also watches {@code dirs} (not recursively), and stops watching extras not listed. */
  synchronized void watchExtras(Set<Path> dirs) {
    extras.entrySet().removeIf(e -> !dirs.contains(e.getValue()) && cancel(e.getKey()));
    for (Path d : dirs) {
      if (!extras.containsValue(d) && !treeDirs.containsKey(d) && Files.isDirectory(d)) {
        register(d, true);
      }
    }
  }

  private boolean cancel(WatchKey key) {
    if (!trees.containsKey(key)) {
      key.cancel();
    }
    return true;
  }

  /**
   * Watches {@code dir} and, recursively, its subdirectories that are neither skipped nor packages
   * (see {@link SpecFiles}). Each directory is watched before it is listed, so a subdirectory
   * created meanwhile is either listed or reported by an event.
   */
  private void registerTree(Path dir) throws IOException {
    register(dir, false);
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path child : s) {
        Path name = child.getFileName();
        if (name != null
            && !SpecFiles.isSkippedDir(name.toString())
            && Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)
            && !SpecFiles.isPackageDir(child)) {
          children.add(child);
        }
      }
    }
    for (Path child : children) {
      try {
        registerTree(child);
      } catch (IOException e) {
        // Gone meanwhile: its parent's event or the rescan tells.
        LOG.log(Level.DEBUG, () -> "cannot watch " + child + ": " + e.getMessage());
      }
    }
  }

  private synchronized void register(Path dir, boolean extra) {
    try {
      WatchKey key = dir.register(service, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
      if (extra) {
        extras.put(key, dir);
      } else {
        trees.put(key, dir);
        treeDirs.put(dir, key);
      }
    } catch (IOException e) {
      // Gone already, or not a directory: the rescan sees what is there.
      LOG.log(Level.DEBUG, () -> "cannot watch " + dir + ": " + e.getMessage());
    } catch (ClosedWatchServiceException e) {
      // Closing.
    }
  }

  private void run() {
    while (true) {
      WatchKey key;
      try {
        key = service.take();
      } catch (ClosedWatchServiceException | InterruptedException e) {
        return;
      }
      Path dir;
      boolean extra;
      synchronized (this) {
        dir = trees.get(key);
        extra = dir == null;
        if (extra) {
          dir = extras.get(key);
        }
      }
      if (dir == null) {
        key.reset();
        continue;
      }
      for (WatchEvent<?> event : key.pollEvents()) {
        if (event.kind() == OVERFLOW) {
          hints.everything();
        } else if (extra) {
          hints.extra();
        } else {
          handle(dir, event);
        }
      }
      if (!key.reset()) {
        lost(key, dir);
      }
    }
  }

  private void handle(Path dir, WatchEvent<?> event) {
    Path child = dir.resolve((Path) event.context());
    if (!SpecFiles.reachable(root, child)) {
      return;
    }
    String name = child.getFileName().toString();
    if (event.kind() == ENTRY_CREATE && Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
      if (SpecFiles.isSkippedDir(name) || SpecFiles.isPackageDir(child)) {
        return;
      }
      try {
        registerTree(child);
      } catch (IOException e) {
        LOG.log(Level.DEBUG, () -> "cannot watch " + child + ": " + e.getMessage());
      }
      hints.changed(child);
    } else if (SpecFiles.isSpecName(name)) {
      hints.changed(child);
    } else if (event.kind() == ENTRY_DELETE && isTreeDir(child)) {
      hints.changed(child);
    }
  }

  private synchronized boolean isTreeDir(Path dir) {
    return treeDirs.containsKey(dir);
  }

  private void lost(WatchKey key, Path dir) {
    boolean tree;
    synchronized (this) {
      tree = trees.remove(key) != null;
      treeDirs.remove(dir, key);
      extras.remove(key);
    }
    if (tree) {
      hints.changed(dir);
      if (dir.equals(root)) {
        hints.everything();
      }
    }
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, () -> "closing the watch service: " + e.getMessage());
    }
    thread.interrupt();
  }
}
