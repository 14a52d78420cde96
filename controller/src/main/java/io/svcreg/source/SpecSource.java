package io.svcreg.source;

import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.SpecCatalog;
import io.svcreg.schema.SpecSet;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Watches a spec directory and publishes its desired state to a {@link SpecListener} whenever its
 * content changes (CONTRACT section 3).
 *
 * <p>File-system events are only hints: a burst of them is coalesced (the directory is read {@code
 * debounce} after the last event, and at most {@code maxDelay} after the first), and a periodic
 * full rescan ({@code rescanInterval}) decides in the end, catching what the watcher missed (event
 * overflow, network file systems). Only content counts: a reading that changes no resource, no
 * problem, no completeness and no Git revision calls nobody. Each update carries the last good
 * version of every resource, so a broken file keeps its resources at their last good spec, and a
 * file that cannot be read removes nothing.
 *
 * <p>The listener is called from the source's single daemon thread (the first time from {@link
 * #start}'s caller); {@link #close} stops the watcher and that thread.
 */
public final class SpecSource implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(SpecSource.class.getName());

  /**
   * Timing of a source.
   *
   * @param debounce quiet time after the last event before the directory is read
   * @param maxDelay longest time between the first event of a burst and the read
   * @param rescanInterval time between full rescans
   * @param clock the clock the burst limit is measured with
   */
  public record Options(
      Duration debounce, Duration maxDelay, Duration rescanInterval, InstantSource clock) {

    /** Debounce 100 ms, at most 1 s after the first event, full rescan every 30 s. */
    public static final Options DEFAULTS =
        new Options(
            Duration.ofMillis(100),
            Duration.ofSeconds(1),
            Duration.ofSeconds(30),
            InstantSource.system());

    public Options {
      Objects.requireNonNull(clock, "clock");
      if (debounce.isNegative() || maxDelay.compareTo(debounce) < 0) {
        throw new IllegalArgumentException(
            "need 0 <= debounce <= maxDelay, got " + debounce + " and " + maxDelay);
      }
      if (rescanInterval.isNegative() || rescanInterval.isZero()) {
        throw new IllegalArgumentException("rescanInterval must be positive: " + rescanInterval);
      }
    }

    /** These options with another debounce (and a burst limit at least as long). */
    public Options withDebounce(Duration d) {
      return new Options(d, maxDelay.compareTo(d) < 0 ? d : maxDelay, rescanInterval, clock);
    }

    /** These options with another rescan interval. */
    public Options withRescanInterval(Duration d) {
      return new Options(debounce, maxDelay, d, clock);
    }
  }

  private final Path dir;
  private final Options options;
  private final SpecListener listener;
  private final Scheduler scheduler;
  private final Function<Path, Optional<String>> revisions;
  private final boolean watch;
  private final SpecCatalog catalog;
  // where the package manifests are kept across restarts, or null
  private Path manifestCache;
  private final SpecTracker tracker = new SpecTracker();
  private final Hints hints = new Hints();

  // Guarded by this: reading, tracking, publishing.
  private SpecUpdate current;
  private DirectoryWatcher watcher;
  private int watchFailures;
  private volatile boolean closed;

  // Guarded by pending: hints not yet acted on.
  private final Object pending = new Object();
  private Set<Path> pendingPaths = new LinkedHashSet<>();
  private boolean pendingAll;
  private boolean pendingExtra;
  private Instant firstHint;
  private Scheduler.Task flushTask;
  private Scheduler.Task rescanTask;

  SpecSource(
      Path dir,
      Options options,
      SpecListener listener,
      Scheduler scheduler,
      Function<Path, Optional<String>> revisions,
      boolean watch) {
    this.dir = dir;
    this.options = options;
    this.listener = listener;
    this.scheduler = scheduler;
    this.revisions = revisions;
    this.watch = watch;
    this.catalog = new SpecCatalog(List.of(dir));
  }

  /**
   * Starts watching {@code dir} with the default options; see {@link #start(Path, Options,
   * SpecListener)}.
   */
  public static SpecSource start(Path dir, SpecListener listener) {
    return start(dir, Options.DEFAULTS, listener);
  }

  /**
   * Starts watching {@code dir}: reads it, calls {@code listener} with the first update before
   * returning, then calls it again on every change until {@link #close}. A directory that does not
   * exist yet is a problem in the update, and is watched once it appears.
   */
  public static SpecSource start(Path dir, Options options, SpecListener listener) {
    return start(dir, options, Optional.empty(), listener);
  }

  /**
   * As {@link #start(Path, Options, SpecListener)}, keeping the package manifests in {@code
   * manifestCache} across restarts: the first read parses only manifests whose files changed since
   * they were kept (modification time, size, inode); the file is rewritten after full rescans and
   * on {@link #close} when the manifests in use changed.
   */
  public static SpecSource start(
      Path dir, Options options, Optional<Path> manifestCache, SpecListener listener) {
    SpecSource s =
        new SpecSource(
            dir,
            options,
            listener,
            Scheduler.threaded("svcreg-spec-source", options.clock()),
            GitRevision::of,
            true);
    s.manifestCache = manifestCache.orElse(null);
    try {
      s.begin();
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** Watches, reads everything once (calling the listener) and schedules the periodic rescan. */
  void begin() {
    synchronized (this) {
      if (manifestCache != null) {
        int kept = catalog.useManifests(manifestCache);
        LOG.log(Level.DEBUG, "package manifests kept from the last run: " + kept);
      }
      ensureWatching();
      read(true, Set.of());
    }
    scheduleRescan();
  }

  /** The last update published (the first one is published by {@link #start}). */
  public synchronized SpecUpdate current() {
    return current;
  }

  /** The last good version of every resource still declared or held. */
  public synchronized Map<ResourceKey, Resource> lastGood() {
    return tracker.lastGood();
  }

  /**
   * Reads the whole directory now, on the calling thread (the listener is called if it changed).
   */
  public void rescan() {
    Pending p = takePending();
    synchronized (this) {
      if (!closed) {
        read(true, p.paths());
        saveManifests();
      }
    }
  }

  /** Stops watching and rescanning; the listener is not called any more. */
  @Override
  public void close() {
    DirectoryWatcher w;
    synchronized (pending) {
      closed = true;
      if (flushTask != null) {
        flushTask.cancel();
      }
      if (rescanTask != null) {
        rescanTask.cancel();
      }
    }
    synchronized (this) {
      closed = true;
      w = watcher;
      watcher = null;
    }
    if (w != null) {
      w.close();
    }
    scheduler.close();
    synchronized (this) {
      saveManifests();
    }
  }

  // Called with this held: keeps the manifests in use for the next start, if they changed.
  private void saveManifests() {
    if (manifestCache == null) {
      return;
    }
    try {
      catalog.saveManifests(manifestCache);
    } catch (IOException | RuntimeException e) {
      LOG.log(
          Level.WARNING,
          "cannot keep the package manifests in " + manifestCache + ": " + e.getMessage());
    }
  }

  /** A hint that {@code path} may have changed. */
  void hint(Path path) {
    synchronized (pending) {
      pendingPaths.add(path);
      arm();
    }
  }

  /** A hint that anything may have changed. */
  void hintAll() {
    synchronized (pending) {
      pendingAll = true;
      arm();
    }
  }

  /** A hint that the Git revision may have changed. */
  void hintRevision() {
    synchronized (pending) {
      pendingExtra = true;
      arm();
    }
  }

  // Called with pending held: (re)schedules the read debounce from now, capped by maxDelay.
  private void arm() {
    Instant now = scheduler.now();
    if (firstHint == null) {
      firstHint = now;
    }
    Instant due = now.plus(options.debounce());
    Instant cap = firstHint.plus(options.maxDelay());
    if (due.isAfter(cap)) {
      due = cap;
    }
    if (flushTask != null) {
      flushTask.cancel();
    }
    Duration delay = Duration.between(now, due);
    flushTask = scheduler.schedule(delay.isNegative() ? Duration.ZERO : delay, this::flush);
  }

  private record Pending(Set<Path> paths, boolean all, boolean extra) {}

  private Pending takePending() {
    synchronized (pending) {
      Pending p = new Pending(pendingPaths, pendingAll, pendingExtra);
      pendingPaths = new LinkedHashSet<>();
      pendingAll = false;
      pendingExtra = false;
      firstHint = null;
      if (flushTask != null) {
        flushTask.cancel();
        flushTask = null;
      }
      return p;
    }
  }

  private void flush() {
    Pending p = takePending();
    if (p.paths().isEmpty() && !p.all() && !p.extra()) {
      return;
    }
    guarded(
        () -> {
          synchronized (this) {
            if (!closed) {
              read(p.all(), p.paths());
            }
          }
        });
  }

  private void periodic() {
    guarded(this::rescan);
    scheduleRescan();
  }

  private void scheduleRescan() {
    synchronized (pending) {
      if (!closed) {
        rescanTask = scheduler.schedule(options.rescanInterval(), this::periodic);
      }
    }
  }

  private static void guarded(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "reading the spec directory failed", e);
    }
  }

  // Called with this held. Hinted paths are always re-read (a rescan compares sizes and times).
  private void read(boolean all, Set<Path> paths) {
    SpecSet specs = null;
    if (all) {
      ensureWatching();
      specs = catalog.rescan();
    }
    if (!paths.isEmpty()) {
      specs = catalog.update(paths);
    }
    if (specs == null) {
      specs = catalog.current();
    }
    Optional<String> rev = revisions.apply(dir);
    watchGit();
    Optional<SpecUpdate> update = tracker.next(specs, rev);
    if (update.isEmpty()) {
      return;
    }
    current = update.get();
    try {
      listener.onChange(current);
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "the spec listener failed on " + current.changed(), e);
    }
  }

  // Called with this held: starts the watcher once the directory exists, re-watches lost dirs.
  private void ensureWatching() {
    if (!watch || closed) {
      return;
    }
    if (watcher != null) {
      watcher.rewatch();
      return;
    }
    if (!Files.isDirectory(dir)) {
      return;
    }
    try {
      watcher = DirectoryWatcher.start(dir.toAbsolutePath().normalize(), hints);
      watchFailures = 0;
    } catch (IOException e) {
      // E.g. the inotify instance limit: the periodic rescan still sees every change, later.
      Level level = watchFailures++ == 0 ? Level.WARNING : Level.DEBUG;
      LOG.log(
          level,
          "cannot watch the spec directory "
              + dir
              + " ("
              + e.getMessage()
              + "); changes are seen by the rescan every "
              + options.rescanInterval().toMillis()
              + " ms");
    }
  }

  // Called with this held: watches the Git files that change on a commit or checkout.
  private void watchGit() {
    if (watcher == null) {
      return;
    }
    Set<Path> dirs = new HashSet<>();
    GitRevision.locate(dir)
        .ifPresent(
            at -> {
              dirs.add(at.gitDir());
              dirs.add(at.commonDir());
              GitRevision.headRefFile(at).ifPresent(f -> dirs.add(f.getParent()));
            });
    watcher.watchExtras(dirs);
  }

  /** The watcher's hints, routed to the debounce. */
  private final class Hints implements DirectoryWatcher.Hints {
    @Override
    public void changed(Path path) {
      hint(path);
    }

    @Override
    public void everything() {
      hintAll();
    }

    @Override
    public void extra() {
      hintRevision();
    }
  }
}
