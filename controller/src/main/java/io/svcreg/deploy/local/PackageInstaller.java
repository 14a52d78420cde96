package io.svcreg.deploy.local;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.svcreg.core.SvcregException;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.Deployer;
import io.svcreg.deploy.DirectoryInUse;
import io.svcreg.deploy.Extractor;
import io.svcreg.deploy.Failure;
import io.svcreg.deploy.InstallLayout;
import io.svcreg.deploy.InstallMarker;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.PackageRejected;
import io.svcreg.deploy.PackageSources;
import io.svcreg.deploy.Requirements;
import io.svcreg.deploy.RunRecord;
import io.svcreg.deploy.Trees;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.pkg.PackageVerifier;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The install directories of services below one install root, on the local file system.
 *
 * <p>Layout: version {@code V} of service {@code S} lives in {@code {root}/{name}-{version}} (see
 * {@link InstallLayout#directoryName}), with the marker {@link InstallMarker#FILE}. A package is
 * extracted into {@code {root}/.tmp.{name}.*} and renamed into place; a replaced or removed version
 * is first renamed to {@code {root}/.old.{name}.*} and then deleted. So a directory under its final
 * name is always complete, and a crash leaves only dot-directories, which the next install or
 * uninstall of the service deletes.
 *
 * <p>Nothing is deleted while a live process runs from it ({@link Occupants}): a version to prune
 * or remove, or a leftover dot-directory, that one runs from is kept and reported ({@link
 * DirectoryInUse}), and looked at again by the service's next install or removal. Before pruning or
 * removing a version, the process svcreg recorded in it ({@code logs/service.pid}) is stopped (see
 * {@link RecordedStop}); a copy replaced by a reinstall of the same version is moved aside and
 * deleted once nothing runs from it any more.
 *
 * <p>The root is listed once (and again by {@link #cleanAllLeftovers}, which the controller runs at
 * its start); after that the installer keeps the list with its own changes, so an install costs the
 * same in a root of ten versions as in one of ten thousand. Directories another program adds to the
 * root meanwhile are seen at the next start.
 */
final class PackageInstaller {

  /** Stops the process svcreg recorded in an install directory before the directory is deleted. */
  @FunctionalInterface
  interface RecordedStop {

    /**
     * Stops process group {@code pgid}, which {@code dir} records as started for {@code service}
     * (its {@code stop.sh}, then SIGTERM, then SIGKILL); returns when it is gone or cannot be
     * stopped (interrupted: with the thread's interrupt status set).
     */
    void stop(String service, Path dir, long pgid);
  }

  /** What {@link #cleanAllLeftovers} deleted, and what it kept because processes run from it. */
  record Cleaned(List<String> removed, List<DirectoryInUse> kept) {}

  private static final Logger LOG = System.getLogger(PackageInstaller.class.getName());
  private static final AtomicLong NONCE = new AtomicLong(System.nanoTime());

  /** This host, in the messages of a failed install. */
  private static final String WHERE = "the controller's host";

  /** How long the check of a package's requirements may take. */
  private static final Duration REQUIREMENTS_TIMEOUT = Duration.ofSeconds(30);

  private final Path root;
  private final InstantSource clock;
  private final String path;
  private final RecordedStop stopper;

  /**
   * The names in the root: listed once, then kept with this installer's own changes, so that an
   * install does not list a root that holds thousands of versions (null until first needed).
   */
  private volatile NavigableSet<String> names;

  /**
   * An installer below {@code root}; {@code path} is the {@code PATH} of the services' scripts, in
   * which the commands a package requires are looked up.
   */
  PackageInstaller(Path root, InstantSource clock, String path, RecordedStop stopper) {
    this.root = root;
    this.clock = clock;
    this.path = path;
    this.stopper = stopper;
  }

  /** The names in the root, listed when first needed. */
  private NavigableSet<String> names() throws IOException {
    NavigableSet<String> n = names;
    if (n == null) {
      synchronized (this) {
        n = names;
        if (n == null) {
          n = list();
          names = n;
        }
      }
    }
    return n;
  }

  /** Lists the root afresh (empty when it does not exist). */
  private NavigableSet<String> list() throws IOException {
    NavigableSet<String> n = new ConcurrentSkipListSet<>();
    if (Files.isDirectory(root)) {
      try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
        for (Path d : dirs) {
          n.add(d.getFileName().toString());
        }
      }
    }
    return n;
  }

  /** The names in the root that start with {@code prefix}. */
  private List<String> named(String prefix) throws IOException {
    return List.copyOf(names().subSet(prefix, true, prefix + Character.MAX_VALUE, false));
  }

  private void added(Path p) throws IOException {
    names().add(p.getFileName().toString());
  }

  private void removed(Path p) throws IOException {
    names().remove(p.getFileName().toString());
  }

  Path root() {
    return root;
  }

  /** The install directory of a version. */
  Path home(String service, String version) {
    return root.resolve(InstallLayout.directoryName(service, version));
  }

  /** Installs a version (see {@link Deployer#install}). */
  InstallOutcome install(String service, String version, Path source) {
    Path home = home(service, version);
    if (!Files.exists(source)) {
      return new InstallOutcome.Failed(
          DeployReasons.PACKAGE_NOT_FOUND, "the package of " + service + " is missing: " + source);
    }
    Path tmp = null;
    List<DirectoryInUse> kept = new ArrayList<>();
    try {
      Files.createDirectories(root);
      cleanLeftovers(service, kept);
      tmp = Files.createTempDirectory(root, ".tmp." + InstallLayout.sanitizedName(service) + ".");
      added(tmp);
      Extractor x = new Extractor(tmp);
      PackageSources.extract(source, x);
      String checksum = x.finish();
      InstallLayout.checkRequired(tmp, source);
      checkListed(tmp, source);
      List<String> missing = missing(Requirements.read(tmp.resolve("manifest.yaml")));
      if (!missing.isEmpty()) {
        return Requirements.failure(service + " " + version, WHERE, path, missing);
      }
      Optional<InstallMarker> existing = InstallMarker.read(home);
      if (Files.exists(home, NOFOLLOW_LINKS)) {
        if (existing.isEmpty()) {
          return new InstallOutcome.Failed(
              DeployReasons.INSTALL_CONFLICT,
              home + " exists but was not installed by svcreg; move it away to install " + service);
        }
        InstallMarker m = existing.get();
        if (!m.service().equals(service) || !m.version().equals(version)) {
          return new InstallOutcome.Failed(
              DeployReasons.INSTALL_CONFLICT,
              home
                  + " holds "
                  + m.service()
                  + " "
                  + m.version()
                  + ", whose directory name is the same as "
                  + service
                  + " "
                  + version);
        }
        if (m.checksum().equals(checksum)) {
          List<String> pruned = prune(service, version, kept);
          return new InstallOutcome.Installed(version, home.toString(), false, pruned, kept);
        }
      }
      new InstallMarker(service, version, checksum, clock.instant(), Optional.empty()).write(tmp);
      Files.setPosixFilePermissions(tmp, Extractor.permissions(0755));
      if (Files.exists(home, NOFOLLOW_LINKS)) {
        // same version, other content: move the old copy aside, then the new one into place
        Path old = moveAside(home, service);
        Files.move(tmp, home, StandardCopyOption.ATOMIC_MOVE);
        removed(tmp);
        added(home);
        tmp = null;
        if (Occupants.of(List.of(old)).isEmpty()) {
          deleteQuietly(old, service);
        } else {
          // the running copy (the service restarts from the new one): deleted once it is free
          LOG.log(
              Level.INFO,
              "Service/{0}: {1} replaced; its old copy {2} is kept while a process runs from it",
              service,
              home,
              old);
        }
      } else {
        Files.move(tmp, home, StandardCopyOption.ATOMIC_MOVE);
        removed(tmp);
        added(home);
        tmp = null;
      }
      List<String> pruned = prune(service, version, kept);
      return new InstallOutcome.Installed(version, home.toString(), true, pruned, kept);
    } catch (PackageRejected e) {
      return new InstallOutcome.Failed(
          e.reason(), "cannot install " + service + " " + version + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new InstallOutcome.Failed(
          DeployReasons.INTERRUPTED,
          "interrupted while checking the requirements of " + service + " " + version);
    } catch (IOException e) {
      return new InstallOutcome.Failed(
          DeployReasons.INSTALL_FAILED,
          "cannot install "
              + service
              + " "
              + version
              + " into "
              + home
              + ": "
              + Failure.describe(e));
    } finally {
      if (tmp != null) {
        deleteQuietly(tmp, service);
      }
    }
  }

  /**
   * Stops the processes svcreg recorded in the service's directories (versions, temporary and
   * moved-aside ones) that still run, through {@link RecordedStop}: what a removal does first.
   */
  void stopRecorded(String service) {
    String name = InstallLayout.sanitizedName(service);
    List<Path> dirs = new ArrayList<>();
    try {
      for (String d : named(".tmp." + name + ".")) {
        dirs.add(root.resolve(d));
      }
      for (String d : named(".old." + name + ".")) {
        dirs.add(root.resolve(d));
      }
    } catch (IOException e) {
      throw new SvcregException(
          "cannot list the install root " + root + ": " + Failure.describe(e), e);
    }
    for (InstallMarker m : markers(service)) {
      dirs.add(home(service, m.version()));
    }
    for (Path d : dirs) {
      OptionalLong recorded = Occupants.recorded(d);
      if (recorded.isPresent()) {
        stopper.stop(service, d, recorded.getAsLong());
      }
    }
  }

  /**
   * Removes every version of the service (see {@link Deployer#uninstall}; {@link #stopRecorded}
   * first), each unless a process runs from it.
   */
  UninstallOutcome uninstall(String service) {
    List<String> removed = new ArrayList<>();
    List<DirectoryInUse> kept = new ArrayList<>();
    try {
      cleanLeftovers(service, kept);
      for (InstallMarker m : markers(service)) {
        Path home = home(service, m.version());
        if (!free(service, m.version(), home, kept)) {
          continue;
        }
        Path old = moveAside(home, service);
        removed.add(m.version());
        Trees.delete(old);
        removed(old);
      }
      return new UninstallOutcome.Uninstalled(removed, kept);
    } catch (IOException e) {
      return new UninstallOutcome.Failed(
          DeployReasons.UNINSTALL_FAILED,
          "cannot remove the installed versions of "
              + service
              + " from "
              + root
              + ": "
              + Failure.describe(e));
    }
  }

  /** The installed versions, most recently started (or installed) first. */
  List<String> installed(String service) {
    return InstallLayout.byActivity(markers(service));
  }

  /** Whether the version's directory is present with its marker and required files. */
  boolean isInstalled(String service, String version) {
    Path home = home(service, version);
    Optional<InstallMarker> m = InstallMarker.read(home);
    if (m.isEmpty() || !m.get().service().equals(service) || !m.get().version().equals(version)) {
      return false;
    }
    return InstallLayout.hasRequired(home);
  }

  /** Records that the version was started now (it becomes the one kept for rollback). */
  void markStarted(String service, String version) {
    Path home = home(service, version);
    InstallMarker.read(home)
        .ifPresent(
            m -> {
              try {
                m.started(clock.instant()).write(home);
              } catch (IOException e) {
                LOG.log(
                    Level.WARNING,
                    "Service/{0}: cannot record the start of {1} in {2}: {3}",
                    service,
                    version,
                    home,
                    Failure.describe(e));
              }
            });
  }

  /**
   * Removes every version but {@code current} and the previous one: the most recently started other
   * version, or if none was ever started, the most recently installed one. A version that a process
   * still runs from (after the one svcreg recorded there was stopped) is kept, in {@code kept}.
   */
  private List<String> prune(String service, String current, List<DirectoryInUse> kept) {
    List<String> removed = new ArrayList<>();
    for (InstallMarker m : InstallLayout.toPrune(markers(service), current)) {
      Path home = home(service, m.version());
      if (!free(service, m.version(), home, kept)) {
        continue;
      }
      try {
        Path old = moveAside(home, service);
        removed.add(m.version());
        deleteQuietly(old, service);
      } catch (IOException e) {
        LOG.log(
            Level.WARNING,
            "Service/{0}: cannot remove the old version {1}: {2}",
            service,
            m.version(),
            Failure.describe(e));
      }
    }
    return removed;
  }

  /**
   * Whether the version directory {@code dir} may be deleted: nothing runs from it. The process
   * svcreg recorded there, when it runs, is stopped first and the directory looked at again; what
   * still runs from it then is added to {@code kept}.
   */
  private boolean free(String service, String version, Path dir, List<DirectoryInUse> kept) {
    List<DirectoryInUse.Holder> holders = Occupants.of(List.of(dir)).getOrDefault(dir, List.of());
    if (holders.isEmpty()) {
      return true;
    }
    OptionalLong recorded = Occupants.recorded(dir);
    if (recorded.isPresent()) {
      stopper.stop(service, dir, recorded.getAsLong());
      holders = Occupants.of(List.of(dir)).getOrDefault(dir, List.of());
      if (holders.isEmpty()) {
        return true;
      }
    }
    kept.add(new DirectoryInUse(version, dir.toString(), holders));
    return false;
  }

  /** The markers of the service's install directories below the root. */
  private List<InstallMarker> markers(String service) {
    List<InstallMarker> out = new ArrayList<>();
    String prefix = InstallLayout.sanitizedName(service) + "-";
    try {
      for (String name : named(prefix)) {
        Path d = root.resolve(name);
        InstallMarker.read(d)
            .filter(m -> m.service().equals(service))
            .filter(m -> name.equals(InstallLayout.directoryName(service, m.version())))
            .ifPresent(out::add);
      }
    } catch (IOException e) {
      throw new SvcregException(
          "cannot list the install root " + root + ": " + Failure.describe(e), e);
    }
    return out;
  }

  /**
   * The requirements this host does not meet ({@link Requirements#missing}), checked with {@code
   * sh} here as on a node.
   */
  private List<String> missing(Requirements req) throws IOException, InterruptedException {
    if (req.isEmpty()) {
      return List.of();
    }
    try {
      return Requirements.missing(
          Scripts.output(req.script(path), Map.of("PATH", path), REQUIREMENTS_TIMEOUT));
    } catch (IOException e) {
      throw new IOException("cannot check its requirements: " + Failure.describe(e), e);
    }
  }

  /** Refuses a package whose files do not match its checksum list (when it has one). */
  private static void checkListed(Path tmp, Path source) throws IOException, PackageRejected {
    List<String> bad = PackageVerifier.checkTree(tmp);
    if (!bad.isEmpty()) {
      throw PackageRejected.invalid(
          "the package "
              + source
              + " fails its checksum list: "
              + bad.get(0)
              + (bad.size() > 1 ? " (and " + (bad.size() - 1) + " more)" : ""));
    }
  }

  /**
   * Deletes every temporary and moved-aside directory in the root (of any service), left by
   * installs and removals that a crash interrupted, unless a process runs from it, and the
   * temporary files of run records whose write it interrupted ({@code ..svcreg-run.*}). Lists the
   * root afresh.
   */
  Cleaned cleanAllLeftovers() throws IOException {
    names = list();
    List<String> leftovers = new ArrayList<>(named(".tmp."));
    leftovers.addAll(named(".old."));
    List<String> removed = new ArrayList<>();
    List<DirectoryInUse> kept = new ArrayList<>();
    deleteFree(leftovers, kept, removed);
    // temporary files of run-record writes a crash interrupted: nothing runs from a file
    for (String name : named("." + RunRecord.PREFIX)) {
      Trees.delete(root.resolve(name));
      removed.add(name);
    }
    return new Cleaned(removed, kept);
  }

  /**
   * Deletes the service's temporary and moved-aside directories left by a crash or a replaced copy,
   * unless a process runs from them (added to {@code kept}).
   */
  private void cleanLeftovers(String service, List<DirectoryInUse> kept) throws IOException {
    String name = InstallLayout.sanitizedName(service);
    List<String> leftovers = new ArrayList<>(named(".tmp." + name + "."));
    leftovers.addAll(named(".old." + name + "."));
    deleteFree(leftovers, kept, new ArrayList<>());
  }

  /**
   * Deletes the directories {@code leftovers} of the root that no process runs from (their names
   * added to {@code removed}); the others are added to {@code kept}.
   */
  private void deleteFree(List<String> leftovers, List<DirectoryInUse> kept, List<String> removed)
      throws IOException {
    if (leftovers.isEmpty()) {
      return;
    }
    List<Path> dirs = leftovers.stream().map(root::resolve).toList();
    Map<Path, List<DirectoryInUse.Holder>> used = Occupants.of(dirs);
    for (Path d : dirs) {
      List<DirectoryInUse.Holder> holders = used.get(d);
      if (holders != null) {
        kept.add(new DirectoryInUse("", d.toString(), holders));
        continue;
      }
      Trees.delete(d);
      removed(d);
      removed.add(d.getFileName().toString());
    }
  }

  private Path moveAside(Path dir, String service) throws IOException {
    Path old =
        root.resolve(
            ".old." + InstallLayout.sanitizedName(service) + "." + NONCE.incrementAndGet());
    Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
    removed(dir);
    added(old);
    return old;
  }

  private void deleteQuietly(Path dir, String service) {
    try {
      Trees.delete(dir);
      removed(dir);
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "Service/{0}: cannot delete {1} (the next install deletes it): {2}",
          service,
          dir,
          Failure.describe(e));
    }
  }
}
