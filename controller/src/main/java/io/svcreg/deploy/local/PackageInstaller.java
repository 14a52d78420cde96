package io.svcreg.deploy.local;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.svcreg.core.SvcregException;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.Deployer;
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
 * <p>The root is listed once (and again by {@link #cleanAllLeftovers}, which the controller runs at
 * its start); after that the installer keeps the list with its own changes, so an install costs the
 * same in a root of ten versions as in one of ten thousand. Directories another program adds to the
 * root meanwhile are seen at the next start.
 */
final class PackageInstaller {

  private static final Logger LOG = System.getLogger(PackageInstaller.class.getName());
  private static final AtomicLong NONCE = new AtomicLong(System.nanoTime());

  /** This host, in the messages of a failed install. */
  private static final String WHERE = "the controller's host";

  /** How long the check of a package's requirements may take. */
  private static final Duration REQUIREMENTS_TIMEOUT = Duration.ofSeconds(30);

  private final Path root;
  private final InstantSource clock;
  private final String path;

  /**
   * The names in the root: listed once, then kept with this installer's own changes, so that an
   * install does not list a root that holds thousands of versions (null until first needed).
   */
  private volatile NavigableSet<String> names;

  /**
   * An installer below {@code root}; {@code path} is the {@code PATH} of the services' scripts, in
   * which the commands a package requires are looked up.
   */
  PackageInstaller(Path root, InstantSource clock, String path) {
    this.root = root;
    this.clock = clock;
    this.path = path;
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
    try {
      Files.createDirectories(root);
      cleanLeftovers(service);
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
          return new InstallOutcome.Installed(
              version, home.toString(), false, prune(service, version));
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
        deleteQuietly(old, service);
      } else {
        Files.move(tmp, home, StandardCopyOption.ATOMIC_MOVE);
        removed(tmp);
        added(home);
        tmp = null;
      }
      return new InstallOutcome.Installed(version, home.toString(), true, prune(service, version));
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

  /** Removes every version of the service (see {@link Deployer#uninstall}). */
  UninstallOutcome uninstall(String service) {
    List<String> removed = new ArrayList<>();
    try {
      cleanLeftovers(service);
      for (InstallMarker m : markers(service)) {
        Path old = moveAside(home(service, m.version()), service);
        removed.add(m.version());
        Trees.delete(old);
        removed(old);
      }
      return new UninstallOutcome.Uninstalled(removed);
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
   * version, or if none was ever started, the most recently installed one.
   */
  private List<String> prune(String service, String current) {
    List<String> removed = new ArrayList<>();
    for (InstallMarker m : InstallLayout.toPrune(markers(service), current)) {
      try {
        Path old = moveAside(home(service, m.version()), service);
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
   * installs and removals that a crash interrupted, and the temporary files of run records whose
   * write it interrupted ({@code ..svcreg-run.*}); returns their names. Lists the root afresh.
   */
  List<String> cleanAllLeftovers() throws IOException {
    List<String> removed = new ArrayList<>();
    NavigableSet<String> fresh = list();
    names = fresh;
    for (String kind : List.of(".tmp.", ".old.", "." + RunRecord.PREFIX)) {
      for (String name : named(kind)) {
        Trees.delete(root.resolve(name));
        fresh.remove(name);
        removed.add(name);
      }
    }
    return removed;
  }

  /** Deletes the service's temporary and moved-aside directories left by a crash. */
  private void cleanLeftovers(String service) throws IOException {
    String name = InstallLayout.sanitizedName(service);
    for (String kind : List.of(".tmp.", ".old.")) {
      for (String d : named(kind + name + ".")) {
        Trees.delete(root.resolve(d));
        removed(root.resolve(d));
      }
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
