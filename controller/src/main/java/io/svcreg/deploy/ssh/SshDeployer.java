package io.svcreg.deploy.ssh;

import io.svcreg.deploy.AddressOutcome;
import io.svcreg.deploy.Containers;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.Deployer;
import io.svcreg.deploy.DirectoryInUse;
import io.svcreg.deploy.Extractor;
import io.svcreg.deploy.Failure;
import io.svcreg.deploy.HealthResult;
import io.svcreg.deploy.InstallLayout;
import io.svcreg.deploy.InstallMarker;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.NodeRecords;
import io.svcreg.deploy.NodeUnavailable;
import io.svcreg.deploy.Observation;
import io.svcreg.deploy.PackageRejected;
import io.svcreg.deploy.PackageSources;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.Progress;
import io.svcreg.deploy.Requirements;
import io.svcreg.deploy.RunRecord;
import io.svcreg.deploy.ServiceEnvironment;
import io.svcreg.deploy.Shell;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.deploy.StopOutcome;
import io.svcreg.deploy.StopStep;
import io.svcreg.deploy.Trees;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.deploy.WireGuardRoutes;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Ipv4;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The deployer of a remote node, reached over SSH: the same install layout, markers, scripts and
 * outcomes as {@link io.svcreg.deploy.local.LocalDeployer}, with the files moved by SFTP and the
 * commands run by {@code sh} on the node over one reused session ({@link SshConnection}).
 *
 * <p>An install validates the package on the controller's host first (safe entries, required
 * files), checks the node (preflight: {@code requires.commands} and {@code requires.libraries}),
 * uploads the {@code .tar.gz} into a temporary directory in the install root, verifies its SHA-256
 * there with {@code sha256sum}, extracts it and renames it into place; a failure at any step leaves
 * at most a temporary directory, which the next install of the service deletes.
 */
public final class SshDeployer implements Deployer {

  private static final Logger LOG = System.getLogger(SshDeployer.class.getName());

  /**
   * The {@code PATH} of the scripts on a node, where {@code requires.commands} are looked up: they
   * get nothing of the controller's environment (see {@link #start}).
   */
  private static final String NODE_PATH = ServiceEnvironment.path(Map.of());

  /**
   * How long the node may take to connect and authenticate, the keep-alive interval, how long a
   * remote command may take, and the Unix socket of an SSH agent whose keys are offered (besides
   * the node's identity file).
   */
  public record Options(
      Duration connect,
      Duration keepAlive,
      Duration command,
      Optional<Path> agent,
      LongSupplier epoch) {

    /** 10 s to connect, keep-alive every 15 s, 120 s for a remote command, no agent, no fencing. */
    public static final Options DEFAULTS =
        new Options(Duration.ofSeconds(10), Duration.ofSeconds(15), Duration.ofSeconds(120));

    /** Options without an agent and without fencing. */
    public Options(Duration connect, Duration keepAlive, Duration command) {
      this(connect, keepAlive, command, Optional.empty(), UNFENCED);
    }

    /** These options with the agent listening on {@code socket}. */
    public Options withAgent(Optional<Path> socket) {
      return new Options(connect, keepAlive, command, socket, epoch);
    }

    /**
     * These options with fencing: every command first compares {@code epoch} (the leader's epoch,
     * read at each command; 0: not fenced) with the highest the node has seen, and is refused
     * ({@link DeployReasons#NODE_FENCED}) when the node has seen a higher one.
     */
    public Options withEpoch(LongSupplier epoch) {
      return new Options(connect, keepAlive, command, agent, epoch);
    }

    /**
     * The agent of the controller's user: the socket {@code SSH_AUTH_SOCK} names, when it is set.
     */
    public static Optional<Path> agentOf(Map<String, String> environment) {
      String s = environment.get("SSH_AUTH_SOCK");
      return s == null || s.isBlank() ? Optional.empty() : Optional.of(Path.of(s));
    }
  }

  /** No fencing: a controller that is not one of a group. */
  private static final LongSupplier UNFENCED = () -> 0;

  /** The exit code of a command the node refused for its epoch. */
  private static final int FENCED_EXIT = 97;

  /**
   * What runs before every command of a fenced deployer: under a lock, the node's highest epoch
   * seen ({@code {installRoot}/.svcreg-epoch}) is compared with the command's: a lower one ends the
   * command (exit {@link #FENCED_EXIT}, {@code svcreg-fenced SEEN}), a higher one is recorded. The
   * lock is released before the command goes on, so nothing the command starts inherits it.
   */
  private String fence(long epoch) {
    String f = Shell.quote(root() + "/" + EPOCH_FILE);
    return "mkdir -p "
        + Shell.quote(root())
        + " && exec 9>>"
        + f
        + ".lock && flock 9 || { echo 'svcreg-fenced-unlockable'; exit "
        + FENCED_EXIT
        + "; }\n"
        + "seen=$(cat "
        + f
        + " 2>/dev/null); case \"$seen\" in ''|*[!0-9]*) seen=0;; esac\n"
        + "if [ \"$seen\" -gt "
        + epoch
        + " ]; then echo \"svcreg-fenced $seen\"; exit "
        + FENCED_EXIT
        + "; fi\n"
        + "if [ \"$seen\" -lt "
        + epoch
        + " ]; then printf '%s\\n' "
        + epoch
        + " > "
        + f
        + ".tmp && mv -f "
        + f
        + ".tmp "
        + f
        + "; fi\n"
        + "exec 9>&-\n";
  }

  /** The file of a node's install root that holds the highest epoch it has seen. */
  public static final String EPOCH_FILE = ".svcreg-epoch";

  private final SshConnection connection;
  private final SshTarget target;
  private final DeployTimeouts timeouts;
  private final InstantSource clock;
  private final Options options;
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
  private final Containers containers;

  /** A deployer for {@code target}; nothing is contacted until the first action. */
  public SshDeployer(
      SshTarget target, DeployTimeouts timeouts, InstantSource clock, Options options) {
    this.target = target;
    this.timeouts = timeouts;
    this.clock = clock;
    this.options = options;
    this.connection =
        new SshConnection(target, options.connect(), options.keepAlive(), options.agent());
    this.containers = new Containers(new Node(), timeouts, clock);
  }

  /** The node, for {@link Containers}: scripts run fenced, as every other script here. */
  private final class Node implements Containers.Node {
    @Override
    public Containers.Ran run(String script, Duration timeout) throws IOException {
      SshConnection.Result r = SshDeployer.this.run(script, timeout);
      return new Containers.Ran(r.exit(), r.out() + r.err());
    }

    @Override
    public String describe() {
      return target.describe();
    }

    @Override
    public String home(String service, String version) {
      return SshDeployer.this.home(service, version);
    }

    @Override
    public void record(RunRecord r) throws IOException {
      SshConnection.Result done =
          SshDeployer.this.run(recordLines(r.service(), Map.of("text", r)) + "record \"$text\"\n");
      if (done.exit() != 0) {
        throw new IOException(lastLine(done.err() + done.out()));
      }
    }

    @Override
    public void markStarted(String service, String version) {
      try {
        Listed l = remoteMarkers(service).get(version);
        if (l != null) {
          SshDeployer.this.markStarted(SshDeployer.this.home(service, version), l.marker());
        }
      } catch (IOException e) {
        LOG.log(
            Level.WARNING,
            "Service/{0}: cannot record its start on {1}: {2}",
            service,
            target.node(),
            e.getMessage());
      }
    }
  }

  /**
   * A deployer for {@code target} with the default timeouts, the system clock, and the SSH agent of
   * the controller's user ({@code SSH_AUTH_SOCK}) when there is one.
   */
  public static SshDeployer create(SshTarget target) {
    return new SshDeployer(
        target,
        DeployTimeouts.DEFAULTS,
        InstantSource.system(),
        Options.DEFAULTS.withAgent(Options.agentOf(System.getenv())));
  }

  /**
   * A deployer as {@link #create(SshTarget)} makes one, fenced by {@code epoch} (the leader's epoch
   * of a high-availability group; see {@link Options#withEpoch}).
   */
  public static SshDeployer create(SshTarget target, LongSupplier epoch) {
    return new SshDeployer(
        target,
        DeployTimeouts.DEFAULTS,
        InstantSource.system(),
        Options.DEFAULTS.withAgent(Options.agentOf(System.getenv())).withEpoch(epoch));
  }

  /** The node this deployer acts on. */
  public SshTarget target() {
    return target;
  }

  /** The install directory of a version on the node. */
  public String home(String service, String version) {
    return root() + "/" + InstallLayout.directoryName(service, version);
  }

  private String root() {
    String r = target.installRoot();
    return r.length() > 1 && r.endsWith("/") ? r.substring(0, r.length() - 1) : r;
  }

  // ------------------------------------------------------------------ install

  @Override
  public InstallOutcome install(String service, String version, Path packageSource) {
    return install(service, version, packageSource, Progress.NONE);
  }

  @Override
  public InstallOutcome install(
      String service, String version, Path packageSource, Progress progress) {
    InstallOutcome out =
        locked(service, () -> doInstall(service, version, packageSource, progress));
    // images are kept while their version is installed: only removing versions frees any
    if (out instanceof InstallOutcome.Installed i && !i.removed().isEmpty()) {
      try {
        containers
            .pruneImages(service, installed(service))
            .ifPresent(why -> LOG.log(Level.WARNING, "Service/{0}: {1}", service, why));
      } catch (NodeUnavailable e) {
        LOG.log(Level.WARNING, "Service/{0}: {1}", service, e.getMessage());
      }
    }
    return out;
  }

  private InstallOutcome doInstall(String service, String version, Path source, Progress progress) {
    String what = service + " " + version;
    if (!Files.exists(source)) {
      return new InstallOutcome.Failed(
          DeployReasons.PACKAGE_NOT_FOUND, "the package of " + service + " is missing: " + source);
    }
    Path work = null;
    String remoteTmp = null;
    try {
      connection.openInBackground(); // logging in overlaps with the check of the package
      work = Files.createTempDirectory("svcreg-upload-");
      // 1. the package, checked on this host: nothing unsafe or incomplete is ever sent; an
      // unchanged .tar.gz is checked once for all nodes
      Path scratch = work;
      PackageChecks.Checked checked =
          PackageChecks.SHARED.get(source, () -> check(source, scratch));
      String checksum = checked.checksum();
      Requirements req = checked.requirements();
      Path archive = checked.archive();
      long size = checked.size();
      String sha = checked.sha256();
      // 2. connect and preflight
      progress.report("connect", Map.of("node", target.node()));
      String home = home(service, version);
      Preflight pre = preflight(service, home, req);
      if (!pre.missing().isEmpty()) {
        return Requirements.failure(what, target.describe(), NODE_PATH, pre.missing());
      }
      if (!pre.missing().isEmpty() || pre.homeState().equals("foreign")) {
        discard(pre.tmp());
      }
      if (pre.homeState().equals("foreign")) {
        return new InstallOutcome.Failed(
            DeployReasons.INSTALL_CONFLICT,
            home
                + " on "
                + target.describe()
                + " exists but was not installed by svcreg; move it away to install "
                + service);
      }
      Optional<InstallMarker> existing =
          pre.markers().stream().filter(m -> m.version().equals(version)).findFirst();
      if (pre.homeState().equals("marker") && existing.isEmpty()) {
        discard(pre.tmp());
        return new InstallOutcome.Failed(
            DeployReasons.INSTALL_CONFLICT,
            home
                + " on "
                + target.describe()
                + " holds another service of the same directory name");
      }
      if (existing.isPresent() && existing.get().checksum().equals(checksum)) {
        discard(pre.tmp());
        Deletions.Result pruned = prune(service, version, pre.markers());
        return installed(
            service, version, home, false, pre.leftovers().then(pruned), pre.markers());
      }
      // 3. upload into the temporary directory
      String tmp = pre.tmp();
      remoteTmp = tmp;
      long needKib = (size + checked.treeBytes()) / 1024 + 64;
      if (needKib > pre.freeKib()) {
        discard(tmp);
        return new InstallOutcome.Failed(
            DeployReasons.INSTALL_FAILED,
            "cannot install "
                + what
                + " on "
                + target.describe()
                + ": its install root "
                + root()
                + " has "
                + pre.freeKib()
                + " KiB free, the package needs about "
                + needKib
                + " KiB (upload and extracted files); free some space on the node");
      }
      int[] lastPercent = {-1};
      progress.report("upload", upload(0, size));
      InstallMarker marker =
          new InstallMarker(service, version, checksum, clock.instant(), Optional.empty());
      List<InstallMarker> now = new ArrayList<>(pre.markers());
      now.removeIf(m -> m.version().equals(version));
      now.add(marker);
      List<InstallMarker> gone = InstallLayout.toPrune(now, version);
      connection.upload(
          archive,
          tmp + "/package.tar.gz",
          sent -> {
            int pct = size == 0 ? 100 : (int) (sent * 100 / size);
            if (pct / 10 != lastPercent[0] / 10) {
              lastPercent[0] = pct;
              progress.report("upload", upload(sent, size));
            }
          });
      // 4. verify and install on the node, and remove what is older than the previous version
      progress.report("verify", Map.of("sha256", sha));
      progress.report("install", Map.of("home", home));
      SshConnection.Result r = run(installScript(service, tmp, home, sha, marker, gone));
      if (r.exit() != 0) {
        String out = (r.out() + r.err()).strip();
        if (out.contains("svcreg:checksum")) {
          return new InstallOutcome.Failed(
              DeployReasons.CHECKSUM_MISMATCH,
              "cannot install "
                  + what
                  + " on "
                  + target.describe()
                  + ": the uploaded package's SHA-256 does not match ("
                  + sha
                  + "); it was corrupted on the way");
        }
        return new InstallOutcome.Failed(
            DeployReasons.INSTALL_FAILED,
            "cannot install "
                + what
                + " into "
                + home
                + " on "
                + target.describe()
                + ": "
                + lastLine(out)
                + diskNote());
      }
      if (r.out().contains("\nreplaced-kept ")) {
        LOG.log(
            Level.INFO,
            "Service/{0}: {1} on {2} replaced; its old copy is kept while a process runs from it",
            service,
            home,
            target.node());
      }
      Deletions.Result pruned = finishDeletions(service, Deletions.parse(r.out()));
      return installed(service, version, home, true, pre.leftovers().then(pruned), gone);
    } catch (PackageRejected e) {
      return new InstallOutcome.Failed(
          e.reason(), "cannot install " + what + ": " + e.getMessage());
    } catch (SshConnection.Unreachable e) {
      return new InstallOutcome.Failed(
          e.reason(), "cannot install " + what + ": " + e.getMessage());
    } catch (SshConnection.Timeout e) {
      return new InstallOutcome.Failed(
          DeployReasons.NODE_TIMEOUT, "cannot install " + what + ": " + e.getMessage());
    } catch (IOException e) {
      String note = diskNote();
      discard(remoteTmp); // e.g. a full disk: free the space now
      return new InstallOutcome.Failed(
          DeployReasons.INSTALL_FAILED,
          "cannot install "
              + what
              + " on "
              + target.describe()
              + ": "
              + Failure.describe(e)
              + note);
    } finally {
      if (work != null) {
        try {
          Trees.delete(work);
        } catch (IOException e) {
          LOG.log(Level.WARNING, "cannot delete {0}: {1}", work, e.getMessage());
        }
      }
    }
  }

  /**
   * Extracts and checks {@code source} in {@code work}; a directory is packed into {@code work}.
   */
  private static PackageChecks.Checked check(Path source, Path work)
      throws IOException, PackageRejected {
    Path tree = Files.createDirectory(work.resolve("tree"));
    // a .tar.gz is sent as it is: its digest (for the node's check) is taken on a second core
    // while its content is checked here
    FutureTask<String> archiveSha =
        PackageSources.isArchive(source) ? new FutureTask<>(() -> sha256(source)) : null;
    if (archiveSha != null) {
      Thread.ofVirtual().name("svcreg-package-digest").start(archiveSha);
    }
    try {
      Extractor x = new Extractor(tree);
      PackageSources.extract(source, x);
      String checksum = x.finish();
      InstallLayout.checkRequired(tree, source);
      Requirements req = Requirements.read(tree.resolve("manifest.yaml"));
      Path archive;
      String sha;
      if (archiveSha != null) {
        archive = source;
        sha = digestOf(archiveSha, source);
      } else {
        archive = work.resolve("package.tar.gz");
        TarPacker.pack(tree, archive);
        sha = sha256(archive);
      }
      long treeBytes = Trees.size(tree);
      Trees.delete(tree);
      return new PackageChecks.Checked(checksum, req, archive, Files.size(archive), sha, treeBytes);
    } finally {
      if (archiveSha != null) {
        archiveSha.cancel(true); // a package refused: its digest is not needed
      }
    }
  }

  private static String digestOf(FutureTask<String> task, Path file) throws IOException {
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading " + file);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Deletes a temporary directory on the node (the next install would otherwise). */
  private void discard(String tmp) {
    if (tmp == null) {
      return;
    }
    try {
      run("rm -rf " + Shell.quote(tmp) + "\n");
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "cannot delete {0} on {1}: {2}", tmp, target.node(), e.getMessage());
    }
  }

  private static Map<String, Object> upload(long sent, long total) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bytes", sent);
    m.put("total", total);
    m.put("percent", total == 0 ? 100 : (int) (sent * 100 / total));
    return m;
  }

  /**
   * An install's outcome: {@code removed} lists the versions whose directories were deleted, {@code
   * kept} every directory that was to be deleted but a live process runs from.
   */
  private InstallOutcome.Installed installed(
      String service,
      String version,
      String home,
      boolean changed,
      Deletions.Result deletions,
      List<InstallMarker> markers) {
    Map<String, String> homes = homes(service, markers);
    List<String> removed =
        deletions.removed().stream().filter(homes::containsKey).map(homes::get).toList();
    return new InstallOutcome.Installed(version, home, changed, removed, inUse(deletions, homes));
  }

  /** The install directory of each version in {@code markers}, to its version. */
  private Map<String, String> homes(String service, Collection<InstallMarker> markers) {
    Map<String, String> homes = new LinkedHashMap<>();
    markers.forEach(m -> homes.put(home(service, m.version()), m.version()));
    return homes;
  }

  /**
   * The directories {@code deletions} kept, each with its version when it is the install directory
   * of one ({@code homes}).
   */
  private static List<DirectoryInUse> inUse(Deletions.Result deletions, Map<String, String> homes) {
    List<DirectoryInUse> kept = new ArrayList<>();
    deletions
        .kept()
        .forEach(
            (dir, holders) ->
                kept.add(new DirectoryInUse(homes.getOrDefault(dir, ""), dir, holders)));
    return kept;
  }

  /**
   * Stops the processes svcreg recorded in the directories {@code first} kept (with their {@code
   * stop.sh}, as {@link #stop} does, and their own environment), then deletes those directories
   * again, still only when nothing runs from them; what {@code first} and the second try did.
   */
  private Deletions.Result finishDeletions(String service, Deletions.Result first)
      throws IOException {
    if (first.recorded().isEmpty()) {
      return first;
    }
    StringBuilder again = new StringBuilder("root=" + Shell.quote(root()) + "\n");
    again.append(Deletions.FUNCTIONS);
    String name = InstallLayout.sanitizedName(service);
    int i = 0;
    for (Map.Entry<String, Deletions.Recorded> e : first.recorded().entrySet()) {
      String dir = e.getKey();
      long pid = e.getValue().pid();
      LOG.log(
          Level.INFO,
          "Service/{0}: stopping pid {1} on {2}, recorded in {3}, before deleting it",
          service,
          Long.toString(pid),
          target.node(),
          dir);
      StopOutcome out =
          stopGroup(
              service,
              dir,
              pid,
              true,
              ServiceEnvironment.ofRecorded(e.getValue().environ(), service, dir, pid),
              NO_RECORDS);
      if (out instanceof StopOutcome.Failed f) {
        LOG.log(Level.WARNING, "Service/{0}: {1}", service, f.message());
      }
      boolean dot = dir.startsWith(root() + "/.");
      again.append(
          Deletions.delete(
              dir,
              dot ? Optional.empty() : Optional.of("\"$root/.old." + name + ".$$.r" + i++ + "\""),
              false));
    }
    return first.then(Deletions.parse(run(again.toString()).out()));
  }

  /** What the node said before an install; {@code leftovers}: its dot-directories' deletion. */
  private record Preflight(
      List<String> missing,
      String homeState,
      List<InstallMarker> markers,
      String tmp,
      long freeKib,
      Deletions.Result leftovers) {}

  private Preflight preflight(String service, String home, Requirements req) throws IOException {
    String name = InstallLayout.sanitizedName(service);
    StringBuilder s = new StringBuilder();
    s.append("root=").append(Shell.quote(root())).append('\n');
    s.append("home=").append(Shell.quote(home)).append('\n');
    s.append("mkdir -p \"$root\" || exit 3\nmiss=\n");
    if (!req.isEmpty()) {
      s.append("miss=$(\n").append(req.script(NODE_PATH)).append(")\n");
      s.append("[ -n \"$miss\" ] && printf '%s\\n' \"$miss\"\n");
    }
    s.append(Deletions.FUNCTIONS);
    s.append(leftovers(name, false));
    s.append("if [ -f \"$home/.svcreg-install\" ]; then echo home marker;")
        .append(" elif [ -e \"$home\" ]; then echo home foreign; else echo home absent; fi\n");
    s.append(listMarkers(service));
    s.append("[ -n \"$miss\" ] && exit 0\n");
    s.append("t=$(mktemp -d \"$root/.tmp.").append(name).append(".XXXXXX\") || exit 4\n");
    s.append("echo \"tmp $t\"\n");
    s.append("echo \"free $(df -Pk \"$root\" | awk 'NR==2{print $4}')\"\n");
    SshConnection.Result r = run(s.toString());
    if (r.exit() != 0) {
      throw new IOException(
          "cannot prepare the install root "
              + root()
              + ": "
              + lastLine(r.err() + r.out())
              + " (does the node's user "
              + target.user()
              + " own it?)");
    }
    List<String> missing = Requirements.missing(r.out());
    String homeState = "absent";
    String tmp = null;
    long free = Long.MAX_VALUE;
    for (String line : r.out().split("\n")) {
      if (line.startsWith("home ")) {
        homeState = line.substring(5);
      } else if (line.startsWith("tmp ")) {
        tmp = line.substring(4);
      } else if (line.startsWith("free ")) {
        try {
          free = Long.parseLong(line.substring(5).trim());
        } catch (NumberFormatException e) {
          free = Long.MAX_VALUE; // unknown: let the upload tell
        }
      }
    }
    if (tmp == null && missing.isEmpty()) {
      throw new IOException("the node did not create a temporary directory in " + root());
    }
    return new Preflight(
        missing, homeState, parseMarkers(service, r.out()), tmp, free, Deletions.parse(r.out()));
  }

  /**
   * Lines that delete the service's temporary and moved-aside directories (after {@link
   * Deletions#FUNCTIONS}), each unless a process runs from it; with {@code stop}, the process
   * svcreg recorded in one is reported for stopping.
   */
  private static String leftovers(String name, boolean stop) {
    return "for o in \"$root\"/.tmp."
        + name
        + ".* \"$root\"/.old."
        + name
        + ".*; do [ -e \"$o\" ] && del \"$o\" '' "
        + (stop ? "1" : "0")
        + "; done\n";
  }

  /**
   * The install on the node, one command: the upload's SHA-256 checked (before extracting), the
   * archive extracted in the temporary directory, the marker written, the directory renamed to
   * {@code home}, and the versions in {@code gone} removed. (Hashing while extracting, with {@code
   * tee}, took as long and more CPU: {@code sha256sum} of a page-cached file is fast.)
   */
  private String installScript(
      String service,
      String tmp,
      String home,
      String sha,
      InstallMarker marker,
      List<InstallMarker> gone) {
    String name = InstallLayout.sanitizedName(service);
    return "set -u\n"
        + "root="
        + Shell.quote(root())
        + "\ntmp="
        + Shell.quote(tmp)
        + "\nhome="
        + Shell.quote(home)
        + "\ntrap 'cd /; rm -rf \"$tmp\"' EXIT\n"
        + "cd \"$tmp\" || exit 2\n"
        + "echo "
        + Shell.quote(sha + "  package.tar.gz")
        + " | sha256sum -c --status - || { echo svcreg:checksum; exit 3; }\n"
        + "mkdir tree || exit 4\n"
        + "tar -xzpf package.tar.gz -C tree --no-same-owner 2>&1 || exit 5\n"
        + "rm -f package.tar.gz\n"
        + "printf '%s' "
        + Shell.quote(marker.text())
        + " > tree/.svcreg-install && chmod 755 tree || exit 6\n"
        + Deletions.FUNCTIONS
        + "if [ -e \"$home\" ]; then\n"
        + "  old=\"$root/.old."
        + name
        + ".$$\"\n"
        + "  mv \"$home\" \"$old\" && mv tree \"$home\" || exit 7\n"
        // the replaced copy may be the running one (the service restarts from the new copy): it is
        // deleted once nothing runs from it, by the next install or removal
        + "  del \"$old\" '' 0 | sed 's/^/replaced-/'\n"
        + "else\n"
        + "  mv tree \"$home\" || exit 7\n"
        + "fi\n"
        + pruneCommands(service, gone)
        + "exit 0\n";
  }

  /** A note on the node's free space in the install root, for failed writes. */
  private String diskNote() {
    try {
      SshConnection.Result r =
          connection.script(
              "df -Pk " + Shell.quote(root()) + " | tail -n 1\n", Duration.ofSeconds(10));
      String[] f = r.out().trim().split("\\s+");
      if (r.exit() == 0 && f.length >= 4) {
        long free = Long.parseLong(f[3]);
        return free < 1024
            ? " (the node's install root " + root() + " is full: " + free + " KiB free)"
            : "";
      }
    } catch (IOException | RuntimeException e) {
      // the original failure is what matters
    }
    return "";
  }

  /**
   * Commands that remove the versions in {@code gone} (each renamed away first), each unless a live
   * process runs from it (after {@link Deletions#FUNCTIONS}); needs {@code root}.
   */
  private String pruneCommands(String service, List<InstallMarker> gone) {
    String name = InstallLayout.sanitizedName(service);
    StringBuilder s = new StringBuilder();
    int i = 0;
    for (InstallMarker m : gone) {
      String old = "\"$root/.old." + name + ".$$." + i++ + "\"";
      s.append(Deletions.delete(home(service, m.version()), Optional.of(old), true));
    }
    return s.toString();
  }

  /** Removes the versions older than the previous one, as an install does (see above). */
  private Deletions.Result prune(String service, String current, List<InstallMarker> markers) {
    List<InstallMarker> gone = InstallLayout.toPrune(markers, current);
    Deletions.Result none = new Deletions.Result(List.of(), List.of(), Map.of(), Map.of());
    if (gone.isEmpty()) {
      return none;
    }
    try {
      SshConnection.Result r =
          run(
              "root="
                  + Shell.quote(root())
                  + "\n"
                  + Deletions.FUNCTIONS
                  + pruneCommands(service, gone));
      return finishDeletions(service, Deletions.parse(r.out()));
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "Service/{0}: cannot remove old versions on {1}: {2}",
          service,
          target.describe(),
          e.getMessage());
      return none;
    }
  }

  // ------------------------------------------------------------------ markers

  private String listMarkers(String service) {
    return listDirectories(InstallLayout.sanitizedName(service) + "-");
  }

  /**
   * Lines that print {@code marker COMPLETE DIR BASE64} for each directory in {@code $root} whose
   * name starts with {@code prefix} and that has a marker: whether it has the files every package
   * has (1 or 0), its name, and its marker.
   */
  private static String listDirectories(String prefix) {
    return "for d in \"$root\"/"
        + Shell.quote(prefix)
        + "*; do [ -f \"$d/.svcreg-install\" ] || continue;"
        + " c=0; [ -f \"$d/manifest.yaml\" ] && { [ -f \"$d/scripts/start.sh\" ]"
        + " && [ -f \"$d/scripts/stop.sh\" ] || grep -Eq '(^|[{ ,])type: *.?docker.?( *[,}#]| *$)'"
        + " \"$d/manifest.yaml\"; } && c=1;"
        + " printf 'marker %s %s ' \"$c\" \"${d##*/}\"; base64 -w0 < \"$d/.svcreg-install\"; echo;"
        + " done\n";
  }

  /** Lines that print {@code run FILE BASE64} for each run record in {@code $root}. */
  private static final String LIST_RUNS =
      "for f in \"$root\"/"
          + RunRecord.PREFIX
          + "*; do [ -f \"$f\" ] || continue; case \"$f\" in *.tmp) continue;; esac;"
          + " printf 'run %s ' \"${f##*/}\"; base64 -w0 < \"$f\"; echo; done\n";

  /** The markers in {@code out} that belong to {@code service} under their own directory name. */
  private static List<InstallMarker> parseMarkers(String service, String out) {
    return markerLines(service, out).values().stream().map(Listed::marker).toList();
  }

  /** An install directory's marker, its name, and whether it has the files every package has. */
  private record Listed(InstallMarker marker, String directory, boolean complete) {}

  /** The markers of {@code marker} lines in {@code out} that name their own directory. */
  private static List<Listed> listed(String out) {
    List<Listed> found = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] f = line.split(" ");
      if (f.length == 4 && f[0].equals("marker")) {
        decoded(f[3])
            .flatMap(InstallMarker::parse)
            .filter(m -> f[2].equals(InstallLayout.directoryName(m.service(), m.version())))
            .ifPresent(m -> found.add(new Listed(m, f[2], f[1].equals("1"))));
      }
    }
    return found;
  }

  /** The markers of {@code service} in {@code out}, by version. */
  private static Map<String, Listed> markerLines(String service, String out) {
    Map<String, Listed> found = new LinkedHashMap<>();
    for (Listed l : listed(out)) {
      if (l.marker().service().equals(service)) {
        found.put(l.marker().version(), l);
      }
    }
    return found;
  }

  /** The text of a base64 word, or empty when it is not one. */
  private static Optional<String> decoded(String base64) {
    try {
      return Optional.of(new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Lists the install root in one command: its directories' markers and its run records. */
  @Override
  public NodeRecords records() {
    SshConnection.Result r;
    try {
      r = run("root=" + Shell.quote(root()) + "\n" + listDirectories("") + LIST_RUNS);
    } catch (IOException e) {
      throw new NodeUnavailable(
          reasonOf(e),
          "cannot list what svcreg has in "
              + root()
              + " on "
              + target.describe()
              + ": "
              + e.getMessage(),
          e);
    }
    List<NodeRecords.Installed> installs = new ArrayList<>();
    for (Listed l : listed(r.out())) {
      installs.add(
          new NodeRecords.Installed(l.marker(), root() + "/" + l.directory(), l.complete()));
    }
    List<RunRecord> runs = new ArrayList<>();
    for (String line : r.out().split("\n")) {
      String[] f = line.split(" ");
      if (f.length == 3 && f[0].equals("run")) {
        decoded(f[2])
            .flatMap(RunRecord::parse)
            .filter(rec -> f[1].equals(RunRecord.fileName(rec.service())))
            .ifPresent(runs::add);
      }
    }
    installs.sort(Comparator.comparing(NodeRecords.Installed::home));
    runs.sort(Comparator.comparing(RunRecord::service));
    return new NodeRecords(installs, runs);
  }

  private Map<String, Listed> remoteMarkers(String service) throws IOException {
    SshConnection.Result r = run("root=" + Shell.quote(root()) + "\n" + listMarkers(service));
    return markerLines(service, r.out());
  }

  @Override
  public List<String> installed(String service) {
    return locked(
        service,
        () -> {
          try {
            return InstallLayout.byActivity(
                remoteMarkers(service).values().stream().map(Listed::marker).toList());
          } catch (IOException e) {
            throw new NodeUnavailable(
                reasonOf(e),
                "cannot list the versions of "
                    + service
                    + " on "
                    + target.describe()
                    + ": "
                    + e.getMessage(),
                e);
          }
        });
  }

  /**
   * Removes every version of the service, its unit first (stopped, disabled and deleted), then its
   * directories, each unless a live process runs from it: the process svcreg recorded in one is
   * stopped first; what else runs from one keeps it ({@link UninstallOutcome.Uninstalled#kept}).
   */
  @Override
  public UninstallOutcome uninstall(String service) {
    Optional<String> container = containers.remove(service);
    if (container.isPresent()) {
      return new UninstallOutcome.Failed(DeployReasons.UNINSTALL_FAILED, container.get());
    }
    return locked(
        service,
        () -> {
          try {
            Map<String, Listed> m = remoteMarkers(service);
            String name = InstallLayout.sanitizedName(service);
            // its unit, if it ran as one: stopped, disabled and removed first
            StringBuilder s =
                new StringBuilder(
                    "root="
                        + Shell.quote(root())
                        + "\nif command -v systemctl >/dev/null 2>&1; then\n"
                        + SystemdUnits.remove(service)
                        + "fi\n");
            s.append(Deletions.FUNCTIONS);
            s.append(leftovers(name, true));
            int i = 0;
            for (String v : m.keySet()) {
              String old = "\"$root/.old." + name + ".$$." + i++ + "\"";
              s.append(Deletions.delete(home(service, v), Optional.of(old), true));
            }
            // the run record last, once everything is gone: until then it tells what may be there
            String rec = Shell.quote(runFile(service));
            s.append("[ -z \"$svfail\" ] && rm -f ")
                .append(rec)
                .append(' ')
                .append(rec)
                .append(".tmp\n");
            s.append("[ -z \"$svfail\" ]\n");
            SshConnection.Result r = run(s.toString());
            Deletions.Result done = finishDeletions(service, Deletions.parse(r.out()));
            if (r.exit() != 0 || !done.failed().isEmpty()) {
              return new UninstallOutcome.Failed(
                  DeployReasons.UNINSTALL_FAILED,
                  "cannot remove the installed versions of "
                      + service
                      + " from "
                      + root()
                      + " on "
                      + target.describe()
                      + ": "
                      + (done.failed().isEmpty()
                          ? lastLine(r.err() + r.out())
                          : "cannot delete " + done.failed().getFirst()));
            }
            Map<String, String> homes =
                homes(service, m.values().stream().map(Listed::marker).toList());
            List<String> removed =
                done.removed().stream().filter(homes::containsKey).map(homes::get).toList();
            return new UninstallOutcome.Uninstalled(removed, inUse(done, homes));
          } catch (SshConnection.Unreachable e) {
            return new UninstallOutcome.Failed(e.reason(), e.getMessage());
          } catch (IOException e) {
            return new UninstallOutcome.Failed(
                DeployReasons.UNINSTALL_FAILED,
                "cannot remove " + service + " from " + target.describe() + ": " + e.getMessage());
          }
        });
  }

  // ------------------------------------------------------------------ processes

  /**
   * {@code system STATE}: systemd's state on a node where systemd is the init ({@code starting} and
   * {@code stopping} while it boots or shuts down), nothing elsewhere. Read after the service was
   * looked at: a shutdown that stopped it began before, so it shows; read before, the shutdown
   * could begin in between and the stopped service pass for a crash.
   */
  private static final String SYSTEM_STATE =
      "[ -d /run/systemd/system ] && echo \"system $(systemctl is-system-running 2>/dev/null)\"\n";

  /** Prints {@code proc <state> <starttime ticks> <btime> <clk_tck>} for {@code $pid}. */
  private static final String PROC =
      "proc() { s=$(sed 's/^.*) //' /proc/$1/stat 2>/dev/null);"
          + " set -- $s; [ -n \"${1:-}\" ] || { echo proc gone; return; };"
          + " st=$(echo \"$s\" | cut -d' ' -f20);"
          + " echo \"proc $1 $st $(awk '/^btime/{print $2}' /proc/stat) $(getconf CLK_TCK)\"; }\n";

  /**
   * {@code galive}: whether a process of group {@code $pid} is alive, zombies not counted (as
   * {@code ProcFs.groupAlive} locally). Each stat file is read with the shell's own {@code read}: a
   * {@code cat} per process made one pass take 0.24 s on a host with 100 processes, and a stop
   * polls it.
   */
  private static final String GROUP_ALIVE =
      "galive() { for f in /proc/[0-9]*/stat; do { read -r l < \"$f\"; } 2>/dev/null || continue;"
          + " r=${l##*) }; set -- $r; [ \"${3:-}\" = \"$pid\" ] && [ \"$1\" != Z ] && return 0;"
          + " done; return 1; }\n";

  /**
   * {@code record TEXT [PID]}: replaces the run record {@code $rec} with {@code TEXT} (and, given a
   * {@code PID}, that process's {@code pid} and {@code processStartedAt}, from {@code proc}, which
   * it then needs): a temporary file renamed over it, so that a reader never sees a part. The start
   * time is the one {@link #startTime} reads: boot time plus start ticks, in milliseconds; on a
   * node whose {@code date} cannot format it the process is left out rather than written wrong.
   */
  private static final String RECORD =
      "record() { { printf '%s' \"$1\"; [ -z \"${2:-}\" ] || procstart \"$2\"; } > \"$rec.tmp\""
          + " && mv -f \"$rec.tmp\" \"$rec\"; }\n"
          + "procstart() { p=$1; set -- $(proc \"$p\"); [ \"$2\" = gone ] && return 0;"
          + " ms=$(($4 * 1000 + $3 * 1000 / $5));"
          + " t=$(date -u -d \"@$((ms / 1000))\" +%Y-%m-%dT%H:%M:%S) || return 0;"
          + " printf 'pid=%s\\nprocessStartedAt=%s.%03dZ\\n' \"$p\" \"$t\" $((ms % 1000)); }\n";

  /** The path of {@code service}'s run record on the node. */
  private String runFile(String service) {
    return root() + "/" + RunRecord.fileName(service);
  }

  /**
   * Lines that set {@code $rec} to the run record's path and each of {@code texts} (name, record)
   * to the record's text, and define {@code record} ({@link #RECORD}).
   */
  private String recordLines(String service, Map<String, RunRecord> texts) {
    StringBuilder b = new StringBuilder("rec=").append(Shell.quote(runFile(service))).append('\n');
    texts.forEach((k, r) -> b.append(k).append('=').append(Shell.quote(r.text())).append('\n'));
    return b.append(RECORD).toString();
  }

  /** The start time of a process from {@code proc STATE TICKS BTIME CLK}, or empty when gone. */
  private static Optional<Instant> startTime(String out) {
    for (String line : out.split("\n")) {
      String[] f = line.trim().split(" ");
      if (f[0].equals("proc") && f.length == 5 && !f[1].equals("Z")) {
        long ticks = Long.parseLong(f[2]);
        long btime = Long.parseLong(f[3]);
        long clk = Long.parseLong(f[4]);
        return Optional.of(Instant.ofEpochSecond(btime).plusMillis(ticks * 1000 / clk));
      }
    }
    return Optional.empty();
  }

  private static boolean same(Optional<Instant> seen, ProcessRef ref) {
    // btime in /proc/stat may move by a second; a reused pid starts much later
    return seen.isPresent()
        && Duration.between(seen.get(), ref.startTime()).abs().compareTo(Duration.ofMillis(1500))
            <= 0;
  }

  @Override
  public StartOutcome start(Launch launch) {
    if (launch.execution() == ExecutionType.DOCKER) {
      return containers.start(launch);
    }
    String service = launch.service();
    String version = launch.version();
    String home = home(service, version);
    Map<String, String> env = ServiceEnvironment.of(launch, home, Map.of());
    String script;
    if (launch.execution() == ExecutionType.SYSTEMD) {
      for (Map.Entry<String, String> e : env.entrySet()) {
        if (!SystemdUnits.writable(e.getValue())) {
          return new StartOutcome.Failed(
              DeployReasons.EXECUTION_UNSUPPORTED,
              "the value of "
                  + e.getKey()
                  + " holds a line break, which a systemd unit cannot carry; remove it from"
                  + " spec.env or use execution managed_process",
              "");
        }
      }
      // the unit configures its address itself when it starts: after a boot, before any controller
      Optional<String> address =
          launch.subnet().map(subnet -> String.join("; ", bindCommands(launch.ip(), subnet)));
      script = unitStart(launch, home, env, address);
    } else {
      script = processStart(launch, home, env);
    }
    return started(service, version, home, script);
  }

  /**
   * The run records of a start of {@code launch}: {@code starting} (before it), {@code running}
   * (the start outlived its grace period; the script adds the process) and {@code stopped} (it did
   * not), and, for a unit, its name.
   */
  private String startRecords(Launch launch) {
    Optional<String> unit =
        launch.execution() == ExecutionType.SYSTEMD
            ? Optional.of(SystemdUnits.unit(launch.service()))
            : Optional.empty();
    Instant now = clock.instant();
    Map<String, RunRecord> texts = new LinkedHashMap<>();
    for (RunRecord.State st :
        List.of(RunRecord.State.STARTING, RunRecord.State.RUNNING, RunRecord.State.STOPPED)) {
      texts.put(st.wireName(), RunRecord.of(launch, st, Optional.empty(), unit, now));
    }
    return recordLines(launch.service(), texts);
  }

  /**
   * The line that writes the {@code starting} record before a start, or prints {@code norecord}
   * with why and ends the script (nothing was started).
   */
  private static final String RECORD_START =
      "o=$(record \"$starting\" 2>&1) || { echo \"norecord $o\"; exit 0; }\n";

  /**
   * The start script of a unit: installs, enables and (re)starts it, then reports as below; {@code
   * address} is a line of shell that configures the service's address, run before start.sh.
   */
  private String unitStart(
      Launch launch, String home, Map<String, String> env, Optional<String> address) {
    String service = launch.service();
    String version = launch.version();
    String unit = SystemdUnits.unit(service);
    return "home="
        + Shell.quote(home)
        + "\nu="
        + unit
        + "\nf="
        + SystemdUnits.DIR
        + "/$u\n"
        + SystemdUnits.systemdCheck()
        + "[ \"$ok\" = 1 ] || { echo nosystemd; exit 0; }\n"
        + PROC
        + startRecords(launch)
        + "[ -f \"$home/.svcreg-install\" ] && [ -f \"$home/scripts/start.sh\" ] || { echo notinstalled; exit 0; }\n"
        + "cd \"$home\" && mkdir -p logs || exit 2\n"
        + "off=$(stat -c %s logs/service.log 2>/dev/null || echo 0)\n"
        + RECORD_START
        + "printf '%s' "
        + Shell.quote(SystemdUnits.text(service, version, home, env, address, timeouts))
        + " > \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\" || { record \"$stopped\"; echo \"exited unit\"; echo ---; echo \"cannot write $f\"; exit 0; }\n"
        + "systemctl daemon-reload && systemctl enable --quiet \"$u\" && systemctl restart \"$u\"\n"
        + "inv=$(systemctl show -p InvocationID --value \"$u\")\n"
        // watched through the grace period, not looked at once after it: a start.sh that exits is
        // caught before systemd runs it again (RestartSec), which replaces its exit status
        + "n="
        + Math.max(1, timeouts.startGrace().toMillis() / 100)
        + "\n"
        + "while st=$(systemctl show -p ActiveState --value \"$u\"); [ \"$st\" = active ] && [ $n -gt 0 ];"
        + " do sleep 0.1; n=$((n-1)); done\n"
        + "pid=$(systemctl show -p MainPID --value \"$u\")\n"
        + "[ \"$(systemctl show -p InvocationID --value \"$u\")\" = \"$inv\" ] || st=restarted\n"
        + "if [ \"$st\" = active ] && [ \"${pid:-0}\" -gt 1 ]; then\n"
        + "  record \"$running\" $pid\n"
        + "  echo \"started $pid\"; proc $pid\n"
        + "  printf 'marker '; base64 -w0 < .svcreg-install; echo\n"
        + "else\n"
        // the loop decides about retries (start limit), not systemd's restart policy
        + "  code=unknown; [ \"$st\" = restarted ] || code=$(systemctl show -p ExecMainStatus --value \"$u\")\n"
        + "  systemctl disable --now --quiet \"$u\" 2>/dev/null\n"
        + "  record \"$stopped\"\n"
        + "  echo \"exited ${code:-unknown}\"\n"
        + "  echo ---; { tail -c +$((off + 1)) logs/service.log;"
        + " journalctl -u \"$u\" -n 5 --no-pager -o cat 2>/dev/null; } | tail -n 20 | tail -c 2048\n"
        + "fi\n";
  }

  /**
   * The start script of a managed process: detached, in its own session, after any stray; its run
   * record written before the start, again with its pid once it runs, and after its grace period.
   */
  private String processStart(Launch launch, String home, Map<String, String> env) {
    return "home="
        + Shell.quote(home)
        + "\n"
        + PROC
        + startRecords(launch)
        + "[ -f \"$home/.svcreg-install\" ] && [ -f \"$home/scripts/start.sh\" ] || { echo notinstalled; exit 0; }\n"
        + "cd \"$home\" && mkdir -p logs || exit 2\n"
        + "off=$(stat -c %s logs/service.log 2>/dev/null || echo 0)\n"
        + "if [ -f logs/service.pid ]; then read op ost < logs/service.pid;"
        + " s=$(proc \"$op\"); set -- $s;"
        + " if [ \"$2\" != gone ] && [ \"$2\" != Z ] && [ \"$3\" = \"$ost\" ] && [ \"$op\" -gt 1 ]; then"
        + " kill -TERM -$op 2>/dev/null; sleep 1; kill -KILL -$op 2>/dev/null; echo stray $op; fi; fi\n"
        + RECORD_START
        + Shell.env(env)
        + " setsid ./scripts/start.sh </dev/null >>logs/service.log 2>&1 &\n"
        + "pid=$!\n"
        + "record \"$starting\" $pid\n"
        + "sleep "
        + Shell.seconds(timeouts.startGrace())
        + "\n"
        + "now=$(proc $pid)\n"
        + "set -- $now\n"
        + "if [ \"$2\" != gone ] && [ \"$2\" != Z ]; then\n"
        + "  echo \"$pid $3\" > logs/service.pid\n"
        + "  record \"$running\" $pid\n"
        + "  echo \"started $pid\"; echo \"$now\"\n"
        + "  printf 'marker '; base64 -w0 < .svcreg-install; echo\n"
        + "else\n"
        + "  record \"$stopped\"\n"
        + "  wait $pid; echo \"exited $?\"\n"
        + "  echo ---; tail -c +$((off + 1)) logs/service.log | tail -n 20 | tail -c 2048\n"
        + "fi\n";
  }

  /** Runs a start script and reads what it reports. */
  private StartOutcome started(String service, String version, String home, String script) {
    SshConnection.Result r;
    try {
      r = run(script);
    } catch (SshConnection.Unreachable e) {
      return new StartOutcome.Failed(
          e.reason(), "cannot start " + service + ": " + e.getMessage(), "");
    } catch (IOException e) {
      return new StartOutcome.Failed(
          e instanceof SshConnection.Timeout
              ? DeployReasons.NODE_TIMEOUT
              : DeployReasons.START_FAILED,
          "cannot start "
              + service
              + " "
              + version
              + " on "
              + target.describe()
              + ": "
              + e.getMessage(),
          "");
    }
    String out = r.out();
    if (out.startsWith("nosystemd")) {
      return new StartOutcome.Failed(
          DeployReasons.EXECUTION_UNSUPPORTED,
          service
              + " is to run as a systemd unit, but systemd is not the init system of "
              + target.describe()
              + " (no /run/systemd/system); use execution managed_process there",
          "");
    }
    if (out.startsWith("exited unit")) {
      return new StartOutcome.Failed(
          DeployReasons.EXECUTION_UNSUPPORTED,
          "cannot write the unit "
              + SystemdUnits.DIR
              + "/"
              + SystemdUnits.unit(service)
              + " on "
              + target.describe()
              + ": a systemd unit needs an SSH user that may write there (root); use execution"
              + " managed_process for this user",
          "");
    }
    Optional<String> norecord = out.lines().filter(l -> l.startsWith("norecord")).findFirst();
    if (norecord.isPresent()) {
      return RunRecord.unwritten(
          service,
          version,
          runFile(service) + " on " + target.describe(),
          norecord.get().substring("norecord".length()).strip());
    }
    if (out.startsWith("notinstalled")) {
      return new StartOutcome.Failed(
          DeployReasons.NOT_INSTALLED,
          service + " " + version + " is not installed in " + root() + " on " + target.describe(),
          "");
    }
    int sep = out.indexOf("\n---\n");
    if (r.exit() != 0 || !out.contains("started ")) {
      String code = "unknown";
      for (String line : out.split("\n")) {
        if (line.startsWith("exited ")) {
          code = line.substring(7);
        }
      }
      String tail = sep < 0 ? "" : out.substring(sep + 5);
      return new StartOutcome.Failed(
          DeployReasons.EXITED_DURING_START,
          "scripts/start.sh of "
              + service
              + " "
              + version
              + " on "
              + target.describe()
              + " exited with code "
              + code
              + " within "
              + Shell.seconds(timeouts.startGrace())
              + " s"
              + ("0".equals(code)
                  ? " (it must keep running in the foreground, e.g. exec the service)"
                  : "")
              + "; see "
              + home
              + "/logs/service.log",
          tail.strip());
    }
    long pid = 0;
    Optional<InstallMarker> marker = Optional.empty();
    for (String line : out.split("\n")) {
      if (line.startsWith("started ")) {
        pid = Long.parseLong(line.substring(8).trim());
      } else if (line.startsWith("marker ")) {
        marker = decoded(line.substring(7).trim()).flatMap(InstallMarker::parse);
      }
    }
    Optional<Instant> started = startTime(out);
    if (started.isEmpty() || pid <= 1) {
      return new StartOutcome.Failed(
          DeployReasons.START_FAILED,
          "cannot tell the start of " + service + " on " + target.describe() + ": " + lastLine(out),
          "");
    }
    marker.ifPresent(m -> markStarted(home, m));
    LOG.log(
        Level.INFO,
        "Service/{0}: started {1} on {2} as pid {3}",
        service,
        version,
        target.node(),
        String.valueOf(pid));
    return new StartOutcome.Started(new ProcessRef(pid, started.get()));
  }

  private void markStarted(String home, InstallMarker m) {
    try {
      run(
          "f="
              + Shell.quote(home + "/" + InstallMarker.FILE)
              + "\nprintf '%s' "
              + Shell.quote(m.started(clock.instant()).text())
              + " > \"$f.tmp\" && mv \"$f.tmp\" \"$f\"\n");
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "Service/{0}: cannot record its start in {1}: {2}",
          m.service(),
          home,
          e.getMessage());
    }
  }

  @Override
  public StopOutcome stop(Launch launch, ProcessRef process) {
    if (launch.execution() == ExecutionType.SYSTEMD) {
      return stopUnit(launch, process);
    }
    if (launch.execution() == ExecutionType.DOCKER) {
      return containers.stop(launch, process);
    }
    String service = launch.service();
    long pid = process.pid();
    if (pid <= 1) {
      return new StopOutcome.Stopped(StopStep.NOT_RUNNING);
    }
    String home = home(service, launch.version());
    try {
      SshConnection.Result probe =
          run(PROC + "pid=" + pid + "\n" + GROUP_ALIVE + "proc $pid\ngalive && echo group alive\n");
      Optional<Instant> seen = startTime(probe.out());
      boolean ours = same(seen, process);
      boolean groupAlive = probe.out().contains("group alive");
      if (!ours && (seen.isPresent() || !groupAlive)) {
        recordStopped(launch);
        return new StopOutcome.Stopped(StopStep.NOT_RUNNING);
      }
      TreeMap<String, String> env = new TreeMap<>(ServiceEnvironment.of(launch, home, Map.of()));
      env.put(ServiceEnvironment.SERVICE_PID, Long.toString(pid));
      return stopGroup(
          service, home, pid, ours, env, stopRecords(launch, process, Optional.empty()));
    } catch (IOException e) {
      return stopFailed(service, e);
    }
  }

  /**
   * The shell lines of a stop that keeps no run record: a version's process stopped before its
   * directory is deleted is not the service's current run (its record is the current one's).
   */
  private static final String NO_RECORDS = "record() { :; }\nstopping=\nstopped=\n";

  /**
   * Stops process group {@code pid} of {@code service} ({@code records}: the shell lines that
   * define {@code record}, {@code $stopping} and {@code $stopped}, see {@link #stopRecords}): with
   * {@code ours} (it is the process that was started, not a reused pid), {@code scripts/stop.sh} of
   * {@code home} with {@code env} (which holds {@code SERVICE_PID}); then SIGTERM, then SIGKILL.
   */
  private StopOutcome stopGroup(
      String service,
      String home,
      long pid,
      boolean ours,
      Map<String, String> env,
      String records) {
    try {
      String script =
          "pid="
              + pid
              + "\nhome="
              + Shell.quote(home)
              + "\n"
              + records
              + "ended() { record \"$stopped\"; echo \"step $1\"; exit 0; }\n"
              + GROUP_ALIVE
              + "gone() { n=$1; while galive; do [ $n -le 0 ] && return 1; sleep 0.05; n=$((n-1)); done; }\n"
              + "record \"$stopping\"\n"
              + (ours
                  ? "if [ -f \"$home/scripts/stop.sh\" ]; then\n"
                      + "  cd \"$home\" && mkdir -p logs\n"
                      + "  "
                      + Shell.env(env)
                      + " setsid ./scripts/stop.sh </dev/null >>logs/service.log 2>&1 &\n"
                      + "  sp=$!\n"
                      + "  n="
                      + ticks(timeouts.stopScript())
                      + "\n"
                      + "  while galive && [ $n -gt 0 ]; do\n"
                      + "    s=$(sed 's/^.*) //' /proc/$sp/stat 2>/dev/null | cut -d' ' -f1)\n"
                      + "    if [ -z \"$s\" ] || [ \"$s\" = Z ]; then wait $sp || break; fi\n"
                      + "    sleep 0.05; n=$((n-1))\n"
                      + "  done\n"
                      + "  kill -KILL -$sp 2>/dev/null\n"
                      + "  galive || ended STOP_SCRIPT\n"
                      + "fi\n"
                  : "")
              + "kill -TERM -$pid 2>/dev/null\n"
              + "gone "
              + ticks(timeouts.term())
              + " && ended SIGTERM\n"
              + "kill -KILL -$pid 2>/dev/null\n"
              + "gone "
              + ticks(timeouts.kill())
              + " && ended SIGKILL\n"
              + "echo step FAILED\n";
      SshConnection.Result r = connection.script(script, stopTimeout());
      for (String line : r.out().split("\n")) {
        if (line.startsWith("step ") && !line.equals("step FAILED")) {
          StopStep step = StopStep.valueOf(line.substring(5).trim());
          LOG.log(Level.INFO, "Service/{0}: stopped on {1} ({2})", service, target.node(), step);
          return new StopOutcome.Stopped(step);
        }
      }
      return new StopOutcome.Failed(
          DeployReasons.STOP_FAILED,
          "process group "
              + pid
              + " of "
              + service
              + " on "
              + target.describe()
              + " is still alive after SIGKILL");
    } catch (IOException e) {
      return stopFailed(service, e);
    }
  }

  /** A stop that failed because the node could not be asked. */
  private StopOutcome.Failed stopFailed(String service, IOException e) {
    if (e instanceof SshConnection.Unreachable u) {
      return new StopOutcome.Failed(u.reason(), "cannot stop " + service + ": " + u.getMessage());
    }
    return new StopOutcome.Failed(
        DeployReasons.STOP_FAILED,
        "cannot stop " + service + " on " + target.describe() + ": " + e.getMessage());
  }

  /**
   * The run records of a stop of {@code process}, started from {@code launch}: {@code stopping}
   * (before it, with the process) and {@code stopped} (after it).
   */
  private String stopRecords(Launch launch, ProcessRef process, Optional<String> unit) {
    Instant now = clock.instant();
    Map<String, RunRecord> texts = new LinkedHashMap<>();
    texts.put(
        "stopping",
        RunRecord.of(launch, RunRecord.State.STOPPING, Optional.of(process), unit, now));
    texts.put(
        "stopped", RunRecord.of(launch, RunRecord.State.STOPPED, Optional.empty(), unit, now));
    return recordLines(launch.service(), texts);
  }

  /** Records that nothing of {@code launch} runs (a failure is logged: it stopped anyway). */
  private void recordStopped(Launch launch) {
    RunRecord stopped =
        RunRecord.of(
            launch, RunRecord.State.STOPPED, Optional.empty(), Optional.empty(), clock.instant());
    try {
      SshConnection.Result r =
          run(recordLines(launch.service(), Map.of("stopped", stopped)) + "record \"$stopped\"\n");
      if (r.exit() != 0) {
        throw new IOException(lastLine(r.err() + r.out()));
      }
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "Service/{0}: cannot write its run record {1} on {2}: {3}",
          launch.service(),
          runFile(launch.service()),
          target.node(),
          e.getMessage());
    }
  }

  /** How long a stop on the node may take: its script, SIGTERM's and SIGKILL's waits. */
  private Duration stopTimeout() {
    return timeouts
        .stopScript()
        .plus(timeouts.term())
        .plus(timeouts.kill())
        .plus(options.command());
  }

  private static long ticks(Duration d) {
    return Math.max(1, d.toMillis() / 50);
  }

  /**
   * Stops a service's unit and disables it (a service to be stopped stays stopped when the node
   * boots): its {@code ExecStop} runs {@code stop.sh}, then systemd signals what is left.
   */
  private StopOutcome stopUnit(Launch launch, ProcessRef process) {
    String service = launch.service();
    String u = SystemdUnits.unit(service);
    String script =
        "u="
            + u
            + "\n"
            + stopRecords(launch, process, Optional.of(u))
            + "[ -f "
            + SystemdUnits.DIR
            + "/$u ] || { record \"$stopped\"; echo step NOT_RUNNING; exit 0; }\n"
            + "was=$(systemctl show -p ActiveState --value \"$u\")\n"
            + "record \"$stopping\"\n"
            + "systemctl disable --now --quiet \"$u\"\n"
            + "st=$(systemctl show -p ActiveState --value \"$u\")\n"
            + "case \"$st\" in inactive|failed) record \"$stopped\";"
            + " if [ \"$was\" = active ]; then echo step STOP_SCRIPT; else echo step NOT_RUNNING; fi;;"
            + " *) echo \"step FAILED $st\";; esac\n";
    try {
      SshConnection.Result r = connection.script(script, stopTimeout());
      String line = lastLine(r.out());
      if (line.startsWith("step ") && !line.startsWith("step FAILED")) {
        StopStep step = StopStep.valueOf(line.substring(5).trim());
        LOG.log(Level.INFO, "Service/{0}: unit {1} stopped on {2}", service, u, target.node());
        return new StopOutcome.Stopped(step);
      }
      return new StopOutcome.Failed(
          DeployReasons.STOP_FAILED,
          "unit " + u + " of " + service + " on " + target.describe() + " did not stop: " + line);
    } catch (IOException e) {
      return stopFailed(service, e);
    }
  }

  @Override
  public Observation observe(String service, String version, Optional<ProcessRef> process) {
    return observe(service, version, process, Optional.empty(), ExecutionType.MANAGED_PROCESS);
  }

  /**
   * Observes the service (a unit: whether it is active, and its main process when that is not the
   * recorded one), and whether {@code address} is configured on the node, in one script.
   */
  @Override
  public Observation observe(
      String service,
      String version,
      Optional<ProcessRef> process,
      Optional<Ipv4> address,
      ExecutionType execution) {
    if (execution == ExecutionType.DOCKER) {
      Observation files =
          observe(service, version, Optional.empty(), address, ExecutionType.MANAGED_PROCESS);
      return containers.observe(files, service, version, process);
    }
    boolean unit = execution == ExecutionType.SYSTEMD;
    try {
      String root = "root=" + Shell.quote(root()) + "\n";
      String running =
          unit
              ? SystemdUnits.stateProbe(service)
                  + "set -- $(systemctl show -p MainPID --value "
                  + SystemdUnits.unit(service)
                  + " 2>/dev/null); [ \"${1:-0}\" -gt 1 ] && proc $1\n"
              : process.map(p -> "proc " + p.pid() + "\n").orElse("");
      SshConnection.Result r =
          run(
              root
                  + PROC
                  + listMarkers(service)
                  + running
                  + address.map(SshDeployer::addressProbe).orElse("")
                  + SYSTEM_STATE);
      settling(service, r.out());
      Listed f = markerLines(service, r.out()).get(version);
      boolean installed = f != null && f.complete();
      boolean missing = address.isPresent() && r.out().contains("\naddr missing");
      if (!unit) {
        boolean alive = process.isPresent() && same(startTime(r.out()), process.get());
        return new Observation(installed, alive, missing);
      }
      // a unit runs when it is active; systemd may have started it again as another process
      long pid = 0;
      boolean active = false;
      for (String line : r.out().split("\n")) {
        String[] w = line.trim().split(" ");
        if (w.length == 3 && w[0].equals("unit")) {
          active = w[1].equals("active");
          pid = parsePid(w[2]);
        }
      }
      Optional<Instant> started = startTime(r.out());
      boolean alive = active && pid > 1 && started.isPresent();
      Optional<ProcessRef> now =
          alive
                  && !(process.isPresent()
                      && process.get().pid() == pid
                      && same(started, process.get()))
              ? Optional.of(new ProcessRef(pid, started.get()))
              : Optional.empty();
      return new Observation(installed, alive, missing, now);
    } catch (IOException e) {
      throw new NodeUnavailable(
          reasonOf(e),
          "cannot observe " + service + " on " + target.describe() + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * Throws when the observation's {@code system} line says the node's systemd is booting or
   * shutting down: its services are being started or stopped by the node itself, so a unit that is
   * not active yet, or a process that was just stopped, is no crash, and starting one would race
   * the node's own init (a process started during shutdown is killed by it).
   */
  private void settling(String service, String out) {
    for (String line : out.split("\n")) {
      if (!line.startsWith("system ")) {
        continue;
      }
      String state = line.substring(7).trim();
      if (state.equals("starting") || state.equals("initializing") || state.equals("stopping")) {
        throw new NodeUnavailable(
            DeployReasons.NODE_NOT_READY,
            "cannot observe "
                + service
                + " on "
                + target.describe()
                + ": the node is "
                + (state.equals("stopping") ? "shutting down" : "booting")
                + " (systemctl is-system-running: "
                + state
                + "); looked at again when it has settled",
            null);
      }
      return;
    }
  }

  private static long parsePid(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  @Override
  public HealthResult checkHealth(
      Launch launch, Optional<ProcessRef> process, String script, Duration timeout) {
    if (launch.execution() == ExecutionType.DOCKER) {
      return containers.health(
          checkHealth(
              launch.withExecution(ExecutionType.MANAGED_PROCESS),
              Optional.empty(),
              script,
              timeout),
          launch,
          process);
    }
    String what = launch.service() + " " + launch.version();
    String home = home(launch.service(), launch.version());
    String rel = Path.of(script).normalize().toString();
    if (rel.startsWith("/") || rel.startsWith("..") || rel.isEmpty()) {
      return new HealthResult.Failing(
          DeployReasons.HEALTH_SCRIPT_MISSING,
          "the health script " + script + " of " + what + " is not in " + home,
          OptionalInt.empty(),
          "");
    }
    Map<String, String> env = ServiceEnvironment.of(launch, home, Map.of());
    // one command: the script, then whether the process is still the same (after the script, so
    // that a script passing while the process died is caught), then the script's output
    String s =
        "home="
            + Shell.quote(home)
            + "\nf="
            + Shell.quote(rel)
            + "\n"
            + PROC
            + "out=\n"
            + "if cd \"$home\" 2>/dev/null && [ -f \"$f\" ]; then\n"
            + "  mkdir -p logs; out=$(mktemp logs/health-XXXXXX.out) || exit 2\n  "
            + Shell.env(env)
            + " timeout -s KILL "
            + Shell.seconds(timeout)
            + " \"./$f\" </dev/null >\"$out\" 2>&1\n"
            + "  echo \"code $?\"\n"
            + "else echo missing; fi\n"
            + process.map(p -> "proc " + p.pid() + "\n").orElse("echo proc none\n")
            + SYSTEM_STATE
            + "[ -n \"$out\" ] && { tail -n 20 \"$out\" | tail -c 2048; rm -f \"$out\"; }\n";
    SshConnection.Result r;
    try {
      r = connection.script(s, timeout.plus(options.command()));
    } catch (SshConnection.Unreachable e) {
      return new HealthResult.Failing(
          e.reason(),
          "cannot check the health of " + what + ": " + e.getMessage(),
          OptionalInt.empty(),
          "");
    } catch (IOException e) {
      // the script is bounded by timeout(1) on the node: a command that does not end is the node's
      return new HealthResult.Failing(
          reasonOf(e),
          "cannot check the health of " + what + " on " + target.describe() + ": " + e.getMessage(),
          OptionalInt.empty(),
          "");
    }
    String[] parts = r.out().split("\n", 3);
    String first = parts[0];
    String procLine = parts.length > 1 ? parts[1] : "";
    String rest = parts.length > 2 ? parts[2] : "";
    if (rest.startsWith("system ")) {
      int end = rest.indexOf('\n');
      try {
        settling(launch.service(), end < 0 ? rest : rest.substring(0, end));
      } catch (NodeUnavailable e) {
        // the node's init stops or starts its services now: a process found gone is no crash
        return new HealthResult.Failing(e.reason(), e.getMessage(), OptionalInt.empty(), "");
      }
      rest = end < 0 ? "" : rest.substring(end + 1);
    }
    String output = rest.strip();
    HealthResult verdict = verdict(what, script, home, first, output, r, timeout);
    if (process.isEmpty() || !procLine.startsWith("proc ")) {
      return verdict;
    }
    return HealthResult.withProcess(
        verdict,
        what + " on " + target.describe(),
        process.get().pid(),
        same(startTime(procLine), process.get()));
  }

  /** What the health script's exit code ({@code first}: {@code code N} or {@code missing}) says. */
  private HealthResult verdict(
      String what,
      String script,
      String home,
      String first,
      String output,
      SshConnection.Result r,
      Duration timeout) {
    if (first.startsWith("missing")) {
      return new HealthResult.Failing(
          DeployReasons.HEALTH_SCRIPT_MISSING,
          "the health script "
              + script
              + " of "
              + what
              + " is not in "
              + home
              + " on "
              + target.describe(),
          OptionalInt.empty(),
          "");
    }
    int code;
    try {
      code = Integer.parseInt(first.substring("code ".length()).trim());
    } catch (RuntimeException e) {
      return new HealthResult.Failing(
          DeployReasons.HEALTH_SCRIPT_MISSING,
          "cannot run the health script "
              + script
              + " of "
              + what
              + " on "
              + target.describe()
              + ": "
              + lastLine(r.err() + r.out()),
          OptionalInt.empty(),
          "");
    }
    if (code == 137) {
      return new HealthResult.Failing(
          DeployReasons.HEALTH_CHECK_TIMEOUT,
          "the health check of "
              + what
              + " on "
              + target.describe()
              + " did not finish within "
              + Shell.seconds(timeout)
              + " s; killed it",
          OptionalInt.empty(),
          output);
    }
    return code == 0
        ? new HealthResult.Passing(output)
        : new HealthResult.Failing(
            DeployReasons.HEALTH_CHECK_FAILED,
            "the health check of "
                + what
                + " on "
                + target.describe()
                + " exited with code "
                + code,
            OptionalInt.of(code),
            output);
  }

  // ------------------------------------------------------------------ helpers

  /** The reason code of a failed node command: unreachable, refused, timed out or cut off. */
  /**
   * The lines of a script that say whether the node answers {@code address} itself (it is on one of
   * its interfaces, or in a range it answers, such as loopback's): {@code addr present}, {@code
   * addr missing}; nothing when the node has no {@code ip}.
   */
  private static String addressProbe(Ipv4 address) {
    return "if command -v ip >/dev/null 2>&1; then"
        + " if ip -o -4 route get "
        + address
        + " 2>/dev/null | grep -q '^local '; then echo; echo addr present;"
        + " else echo; echo addr missing; fi; fi\n";
  }

  /**
   * Configures the address on the interface the node reaches {@code subnet} through without a
   * gateway (found with {@code ip route get}), with the subnet's prefix, unless the node answers
   * the address already (it is configured, or in a range the node answers, such as loopback's).
   */
  @Override
  public AddressOutcome bindAddress(Ipv4 address, Cidr subnet) {
    return addressScript(
        String.join("\n", bindCommands(address, subnet)) + "\n",
        "configure " + address + "/" + subnet.prefix());
  }

  /**
   * Records the start of {@code launch} in its run record ({@code starting}, no process yet), then
   * configures its address, in one script: the node never holds an address of svcreg's without a
   * record of the service it is for.
   */
  @Override
  public AddressOutcome bindForStart(Launch launch, Cidr subnet) {
    Optional<String> unit =
        launch.execution() == ExecutionType.SYSTEMD
            ? Optional.of(SystemdUnits.unit(launch.service()))
            : Optional.empty();
    RunRecord starting =
        RunRecord.of(launch, RunRecord.State.STARTING, Optional.empty(), unit, clock.instant());
    return addressScript(
        recordLines(launch.service(), Map.of("starting", starting))
            + "o=$(record \"$starting\" 2>&1) || { echo \"failed cannot write the run record"
            + " $rec: $o\"; exit 4; }\n"
            + String.join("\n", bindCommands(launch.ip(), subnet))
            + "\n",
        "configure " + launch.ip() + "/" + subnet.prefix());
  }

  /**
   * The commands of {@link #bindAddress} (also a unit's, when it starts): each one a whole command,
   * so that they can be joined into one line. They print {@code bound DEVICE} or {@code bound local
   * present}, or why not ({@code noip}, {@code noroute ...}, {@code gateway ...}, {@code failed
   * ...}) and exit non-zero.
   */
  private static List<String> bindCommands(Ipv4 address, Cidr subnet) {
    return List.of(
        "a=" + address + "; p=" + subnet.prefix(),
        "command -v ip >/dev/null 2>&1 || { echo 'noip'; exit 3; }",
        "r=$(ip -o -4 route get \"$a\" 2>&1) || { echo \"noroute $r\"; exit 3; }",
        "case \"$r\" in local\\ *) echo 'bound local present'; exit 0;; esac",
        "case \"$r\" in *' via '*) echo \"gateway $r\"; exit 3;; esac",
        "d=$(echo \"$r\" | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')",
        "[ -n \"$d\" ] || { echo \"noroute $r\"; exit 3; }",
        "o=$(ip addr add \"$a/$p\" dev \"$d\" 2>&1) || { echo \"failed $o\"; exit 4; }",
        "echo \"bound $d\"");
  }

  /** Removes the address from whichever interface of the node holds it. */
  @Override
  public AddressOutcome unbindAddress(Ipv4 address, Cidr subnet) {
    String a = address.toString();
    String script =
        "a="
            + a
            + "\n"
            + "command -v ip >/dev/null 2>&1 || { echo 'noip'; exit 3; }\n"
            + "l=$(ip -o -4 addr show to \"$a/32\" | awk '{print $2, $4; exit}')\n"
            + "[ -n \"$l\" ] || { echo 'unbound absent'; exit 0; }\n"
            + "set -- $l\n"
            + "o=$(ip addr del \"$2\" dev \"$1\" 2>&1) || { echo \"failed $o\"; exit 4; }\n"
            + "echo \"unbound $1\"\n";
    return addressScript(script, "remove " + a);
  }

  @Override
  public Optional<WireGuardRoutes.Interface> wireguard(Cidr subnet) {
    try {
      return WireGuardRoutes.parse(run(WireGuardRoutes.PROBE).out(), subnet);
    } catch (IOException e) {
      throw new NodeUnavailable(
          reasonOf(e),
          "cannot read the WireGuard interfaces of " + target.describe() + ": " + e.getMessage(),
          e);
    }
  }

  @Override
  public AddressOutcome allowPeer(String device, String key, Collection<String> allowed) {
    try {
      SshConnection.Result r = run(WireGuardRoutes.allowScript(device, key, allowed));
      if (r.exit() != 0) {
        return new AddressOutcome.Failed(
            DeployReasons.ADDRESS_FAILED,
            "cannot set the AllowedIPs of a WireGuard peer on "
                + device
                + " of "
                + target.describe()
                + ": "
                + lastLine(r.err() + r.out()));
      }
      return new AddressOutcome.Done(device);
    } catch (IOException e) {
      return new AddressOutcome.Failed(
          reasonOf(e),
          "cannot set WireGuard peers on " + target.describe() + ": " + e.getMessage());
    }
  }

  private AddressOutcome addressScript(String script, String what) {
    SshConnection.Result r;
    try {
      r = run(script);
    } catch (IOException e) {
      return new AddressOutcome.Failed(
          reasonOf(e), "cannot " + what + " on " + target.describe() + ": " + e.getMessage());
    }
    String out = lastLine(r.out());
    if (r.exit() == 0) {
      String[] w = out.split(" ");
      boolean changed = w.length == 2 && !w[1].equals("absent");
      return new AddressOutcome.Done(changed ? w[1] : "");
    }
    String why =
        out.startsWith("noip")
            ? "the node has no ip command (install iproute2)"
            : out.startsWith("gateway") || out.startsWith("noroute")
                ? "no interface of the node holds the network's subnet ("
                    + out.substring(out.indexOf(' ') + 1).strip()
                    + ")"
                : out.startsWith("failed")
                    ? out.substring(7).strip()
                        + (out.contains("Operation not permitted")
                            ? " (svcreg needs root or CAP_NET_ADMIN on the node)"
                            : "")
                    : out;
    return new AddressOutcome.Failed(
        DeployReasons.ADDRESS_FAILED, "cannot " + what + " on " + target.describe() + ": " + why);
  }

  private static String reasonOf(IOException e) {
    return switch (e) {
      case SshConnection.Unreachable u -> u.reason();
      case SshConnection.Timeout t -> DeployReasons.NODE_TIMEOUT;
      default -> DeployReasons.CONNECTION_LOST;
    };
  }

  private SshConnection.Result run(String script) throws IOException {
    return run(script, options.command());
  }

  private SshConnection.Result run(String script, Duration timeout) throws IOException {
    long epoch = options.epoch().getAsLong();
    if (epoch <= 0) {
      return connection.script(script, timeout);
    }
    SshConnection.Result r = connection.script(fence(epoch) + script, timeout);
    if (r.exit() == FENCED_EXIT && r.out().startsWith("svcreg-fenced")) {
      String seen = r.out().strip().substring("svcreg-fenced".length()).strip();
      throw new SshConnection.Unreachable(
          DeployReasons.NODE_FENCED,
          target.describe()
              + (seen.equals("-unlockable")
                  ? " cannot lock its epoch file (is flock installed?)"
                  : " has seen epoch "
                      + seen
                      + " of a newer leader; this controller (epoch "
                      + epoch
                      + ") no longer leads and does not act on it"),
          null);
    }
    return r;
  }

  private static String lastLine(String text) {
    String t = text.strip();
    int nl = t.lastIndexOf('\n');
    return nl < 0 ? t : t.substring(nl + 1);
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private <T> T locked(String service, Supplier<T> action) {
    ReentrantLock lock = locks.computeIfAbsent(service, s -> new ReentrantLock());
    lock.lock();
    try {
      return action.get();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    connection.close();
  }
}
