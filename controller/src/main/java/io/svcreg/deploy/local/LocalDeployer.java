package io.svcreg.deploy.local;

import io.svcreg.core.SvcregException;
import io.svcreg.deploy.AddressOutcome;
import io.svcreg.deploy.Containers;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.Deployer;
import io.svcreg.deploy.DirectoryInUse;
import io.svcreg.deploy.Failure;
import io.svcreg.deploy.HealthResult;
import io.svcreg.deploy.InstallLayout;
import io.svcreg.deploy.InstallMarker;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.NodeRecords;
import io.svcreg.deploy.Observation;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.RunRecord;
import io.svcreg.deploy.ServiceEnvironment;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.deploy.StopOutcome;
import io.svcreg.deploy.StopStep;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.deploy.WireGuardRoutes;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.SpecDuration;
import io.svcreg.source.AtomicFiles;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The deployer of the controller's own host (the {@code local} node): packages are extracted below
 * an install root on the local file system, scripts run as child processes of the controller in
 * their own sessions (so services outlive the controller, like under systemd), and processes are
 * observed through {@code /proc}.
 *
 * <p>A service's output is appended to {@code {home}/logs/service.log} ({@code stop.sh} output
 * too); health-check output goes to a temporary file in {@code {home}/logs} that is deleted after
 * the check. Its {@link RunRecord} is replaced atomically and forced to disk (file and install
 * root) each time it is written.
 */
public final class LocalDeployer implements Deployer {

  private static final Logger LOG = System.getLogger(LocalDeployer.class.getName());

  /** The {@code PATH} of the system commands run on this host ({@code wg}). */
  private static final Map<String, String> SYSTEM_PATH =
      Map.of("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

  private static final Duration WIREGUARD_TIMEOUT = Duration.ofSeconds(10);

  private final PackageInstaller installer;
  private final DeployTimeouts timeouts;
  private final Waiter waiter;
  private final InstantSource clock;
  private final Map<String, String> controllerEnv;
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
  private final Containers containers;

  /** Processes started and not yet confirmed, by pid: their exit code is known here. */
  private final Map<Long, Process> starting = new ConcurrentHashMap<>();

  /**
   * A deployer installing below {@code installRoot}; {@code clock} stamps installs and starts,
   * {@code waiter} bounds every wait, {@code controllerEnv} is where {@link
   * ServiceEnvironment#PASSED_THROUGH} variables come from.
   */
  public LocalDeployer(
      Path installRoot,
      DeployTimeouts timeouts,
      InstantSource clock,
      Waiter waiter,
      Map<String, String> controllerEnv) {
    this.installer =
        new PackageInstaller(
            installRoot.toAbsolutePath().normalize(),
            Objects.requireNonNull(clock),
            ServiceEnvironment.path(controllerEnv),
            this::stopRecorded);
    this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
    this.waiter = Objects.requireNonNull(waiter, "waiter");
    this.clock = clock;
    this.controllerEnv = Map.copyOf(controllerEnv);
    this.containers = new Containers(new HostNode(), timeouts, clock);
  }

  /** This host, for {@link Containers}: scripts run with the system's {@code PATH}. */
  private final class HostNode implements Containers.Node {
    @Override
    public Containers.Ran run(String script, Duration timeout) throws IOException {
      try {
        Scripts.Ran r = Scripts.run(script, SYSTEM_PATH, timeout);
        return new Containers.Ran(r.exit(), r.output());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    @Override
    public String describe() {
      return "the controller's host";
    }

    @Override
    public String home(String service, String version) {
      return LocalDeployer.this.home(service, version).toString();
    }

    @Override
    public void record(RunRecord r) throws IOException {
      LocalDeployer.this.record(r);
    }

    @Override
    public void markStarted(String service, String version) {
      locked(
          service,
          () -> {
            installer.markStarted(service, version);
            return null;
          });
    }
  }

  /** A deployer with the default timeouts, the system clock and the controller's environment. */
  public static LocalDeployer create(Path installRoot) {
    return new LocalDeployer(
        installRoot,
        DeployTimeouts.DEFAULTS,
        InstantSource.system(),
        Waiter.system(),
        System.getenv());
  }

  /**
   * The install directory name of a version: {@code {name}-{version}}, where the name has every
   * character outside {@code [a-zA-Z0-9_-]} replaced by {@code _} and the version every character
   * outside {@code [a-zA-Z0-9._-]} (and a leading {@code .}).
   */
  public static String directoryName(String service, String version) {
    return InstallLayout.directoryName(service, version);
  }

  /** The timeouts it starts and stops with. */
  DeployTimeouts timeouts() {
    return timeouts;
  }

  /** The install directory of a version (whether installed or not). */
  public Path home(String service, String version) {
    return installer.home(service, version);
  }

  /**
   * Deletes what installs and removals interrupted by a crash left in the install root (temporary
   * and moved-aside directories of any service), except those a live process runs from: those are
   * returned, for the caller to report (they are looked at again by their service's next install or
   * removal, and at the next start). Call it when no install runs, e.g. before the controller
   * starts reconciling: otherwise such a directory stays until its service is installed again,
   * which may be never. Failures are logged, not thrown.
   */
  public List<DirectoryInUse> removeLeftovers() {
    try {
      PackageInstaller.Cleaned cleaned = installer.cleanAllLeftovers();
      for (String d : cleaned.removed()) {
        LOG.log(
            Level.INFO, "deleted {0}, left in {1} by an interrupted install", d, installer.root());
      }
      return cleaned.kept();
    } catch (IOException | RuntimeException e) {
      LOG.log(
          Level.WARNING,
          "cannot delete what interrupted installs left in {0}: {1}",
          installer.root(),
          e.getMessage());
      return List.of();
    }
  }

  /**
   * The live processes that run from each of {@code dirs} (see {@link DirectoryInUse}); a directory
   * nothing runs from has no entry.
   */
  public Map<Path, List<DirectoryInUse.Holder>> inUse(Collection<Path> dirs) {
    return Occupants.of(dirs);
  }

  /** A complete version directory in the install root: its marker's service and version. */
  public record VersionDirectory(String service, String version, Path path, Instant installedAt) {}

  /**
   * The version directories in the install root (those with a readable install marker that names
   * them); empty when the root does not exist or cannot be listed.
   */
  public List<VersionDirectory> versionDirectories() {
    try {
      return records().installs().stream()
          .map(
              i ->
                  new VersionDirectory(
                      i.marker().service(),
                      i.marker().version(),
                      Path.of(i.home()),
                      i.marker().installedAt()))
          .toList();
    } catch (SvcregException e) {
      LOG.log(Level.WARNING, e.getMessage());
      return List.of();
    }
  }

  /** Lists the install root: its version directories' markers and its run records. */
  @Override
  public NodeRecords records() {
    List<NodeRecords.Installed> installs = new ArrayList<>();
    List<RunRecord> runs = new ArrayList<>();
    Path root = installer.root();
    if (!Files.isDirectory(root)) {
      return new NodeRecords(installs, runs);
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (name.startsWith(RunRecord.PREFIX)) {
          RunRecord.read(p)
              .filter(r -> name.equals(RunRecord.fileName(r.service())))
              .ifPresent(runs::add);
        } else if (!name.startsWith(".") && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          InstallMarker.read(p)
              .filter(m -> name.equals(InstallLayout.directoryName(m.service(), m.version())))
              .ifPresent(
                  m ->
                      installs.add(
                          new NodeRecords.Installed(
                              m, p.toString(), InstallLayout.hasRequired(p))));
        }
      }
    } catch (IOException e) {
      throw new SvcregException("cannot list " + root + ": " + Failure.describe(e), e);
    } catch (DirectoryIteratorException e) {
      throw new SvcregException("cannot list " + root + ": " + Failure.describe(e.getCause()), e);
    }
    installs.sort(Comparator.comparing(NodeRecords.Installed::home));
    runs.sort(Comparator.comparing(RunRecord::service));
    return new NodeRecords(installs, runs);
  }

  /**
   * The services that run from this install root without a run record (lost with a deleted data
   * directory that held the install root, say): for each service named by the environment of a live
   * process group leader whose {@code SERVICE_HOME} is a directory of the root, and not in {@code
   * recorded}, its oldest such process as the record of a running managed process (version and
   * address from its environment; no generation, spec hash, controller or previous version).
   */
  public List<RunRecord> unrecorded(Set<String> recorded) {
    String prefix = installer.root() + "/";
    Map<String, RunRecord> found = new TreeMap<>();
    for (long pid : ProcFs.pids()) {
      Optional<ProcFs.Stat> st = ProcFs.stat(pid);
      if (st.isEmpty() || st.get().zombie() || st.get().pgid() != pid) {
        continue;
      }
      Map<String, String> env = ProcFs.environment(pid);
      String service = env.getOrDefault("SERVICE_NAME", "");
      String home = env.getOrDefault("SERVICE_HOME", "");
      Optional<Instant> started = ProcessHandle.of(pid).flatMap(h -> h.info().startInstant());
      if (service.isEmpty()
          || recorded.contains(service)
          || !home.startsWith(prefix)
          || home.indexOf('/', prefix.length()) >= 0
          || started.isEmpty()) {
        continue;
      }
      Optional<Ipv4> address;
      try {
        address = Optional.of(Ipv4.of(env.getOrDefault("SERVICE_IP", "")));
      } catch (RuntimeException e) {
        address = Optional.empty();
      }
      RunRecord r =
          new RunRecord(
              service,
              env.getOrDefault("SERVICE_VERSION", ""),
              Optional.empty(),
              0,
              "",
              Map.of(),
              address,
              Optional.empty(),
              ExecutionType.MANAGED_PROCESS,
              Optional.of(new ProcessRef(pid, started.get())),
              Optional.empty(),
              "",
              RunRecord.State.RUNNING,
              started.get());
      found.merge(service, r, (a, b) -> a.writtenAt().isAfter(b.writtenAt()) ? b : a); // the oldest
    }
    return List.copyOf(found.values());
  }

  @Override
  public InstallOutcome install(String service, String version, Path packageSource) {
    InstallOutcome out = locked(service, () -> installer.install(service, version, packageSource));
    // images are kept while their version is installed: only removing versions frees any
    if (out instanceof InstallOutcome.Installed i && !i.removed().isEmpty()) {
      containers
          .pruneImages(service, installed(service))
          .ifPresent(why -> LOG.log(Level.WARNING, "Service/{0}: {1}", service, why));
    }
    return out;
  }

  /**
   * Removes every version of the service: the process svcreg recorded in one of its directories is
   * stopped first, as {@link #stop} does (its {@code stop.sh}, with the process's own environment),
   * then what runs of it untracked; a directory that a process still runs from is kept ({@link
   * UninstallOutcome.Uninstalled#kept}).
   */
  @Override
  public UninstallOutcome uninstall(String service) {
    Optional<String> container = containers.remove(service);
    if (container.isPresent()) {
      return new UninstallOutcome.Failed(DeployReasons.UNINSTALL_FAILED, container.get());
    }
    try {
      locked(
          service,
          () -> {
            installer.stopRecorded(service);
            return null;
          });
      stopUntracked(service);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new UninstallOutcome.Failed(
          DeployReasons.INTERRUPTED, "interrupted before removing " + service);
    }
    return locked(
        service,
        () -> {
          UninstallOutcome out = installer.uninstall(service);
          if (out instanceof UninstallOutcome.Uninstalled) {
            Path file = runFile(service);
            try {
              if (Files.deleteIfExists(file)) {
                AtomicFiles.fsyncDirectory(file.getParent());
              }
            } catch (IOException e) {
              return new UninstallOutcome.Failed(
                  DeployReasons.UNINSTALL_FAILED,
                  "cannot delete the run record " + file + ": " + Failure.describe(e));
            }
          }
          return out;
        });
  }

  /**
   * Records {@code service} stopped once {@link #stopUntracked} has stopped whatever ran of it: its
   * run record said a start (or a run, or a stop) that no process answers for any more. A failure
   * is logged: the processes are stopped either way, and a reader of a record not stopped checks
   * its process.
   */
  private void recordStrayStopped(String service) {
    Path file = runFile(service);
    Optional<RunRecord> was = RunRecord.read(file);
    if (was.isEmpty() || was.get().state() == RunRecord.State.STOPPED) {
      return;
    }
    try {
      record(was.get().then(RunRecord.State.STOPPED, Optional.empty(), clock.instant()));
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "Service/{0}: cannot write its run record {1} (stopped): {2}",
          service,
          file,
          Failure.describe(e));
    }
  }

  /**
   * Stops what runs of {@code service} untracked, when the loop finds a start it recorded without
   * its process, and before the service is removed: a controller killed after running {@code
   * start.sh} but before it recorded the pid leaves the service running unknown to the next
   * controller, which would otherwise start it a second time (or remove its files under it). Its
   * processes are recognised by their environment: {@code SERVICE_NAME} is the service and {@code
   * SERVICE_HOME} a directory of this install root. SIGTERM to each process group, then SIGKILL
   * after the SIGTERM timeout; the last step it needed ({@link StopStep#NOT_RUNNING}: none ran).
   */
  private StopStep stopUntracked(String service) throws InterruptedException {
    String prefix = installer.root() + "/";
    Set<Long> groups =
        ProcFs.groupsWhere(
            env -> {
              String home = env.getOrDefault("SERVICE_HOME", "");
              return service.equals(env.get("SERVICE_NAME"))
                  && home.startsWith(prefix)
                  && home.indexOf('/', prefix.length()) < 0;
            });
    StopStep step = StopStep.NOT_RUNNING;
    for (long pgid : groups) {
      if (pgid <= 1) {
        continue;
      }
      LOG.log(
          Level.WARNING,
          "Service/{0}: stopping process group {1}, left running by an earlier start that was"
              + " not recorded",
          service,
          Long.toString(pgid));
      Scripts.signalGroup(pgid, "TERM");
      if (waiter.until(timeouts.term(), () -> !ProcFs.groupAlive(pgid))) {
        step = step == StopStep.SIGKILL ? step : StopStep.SIGTERM;
      } else {
        Scripts.signalGroup(pgid, "KILL");
        waiter.until(timeouts.kill(), () -> !ProcFs.groupAlive(pgid));
        step = StopStep.SIGKILL;
      }
    }
    return step;
  }

  @Override
  public List<String> installed(String service) {
    return locked(service, () -> installer.installed(service));
  }

  @Override
  public StopOutcome stopStrays(String service) {
    try {
      StopStep step = stopUntracked(service);
      recordStrayStopped(service);
      return new StopOutcome.Stopped(step);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new StopOutcome.Failed(
          DeployReasons.INTERRUPTED, "interrupted while stopping what " + service + " left");
    }
  }

  /**
   * Starts the service without waiting for its start grace period: {@link #confirm} tells later
   * whether it outlived it (the loop looks again then, so no thread waits for a start).
   */
  @Override
  public StartOutcome start(Launch launch) {
    String service = launch.service();
    String version = launch.version();
    if (launch.execution() == ExecutionType.SYSTEMD) {
      return new StartOutcome.Failed(
          DeployReasons.EXECUTION_UNSUPPORTED,
          "execution type "
              + launch.execution()
              + " runs on SSH nodes only; on the controller's own host svcreg runs services as"
              + " managed processes or docker containers",
          "");
    }
    if (!installer.isInstalled(service, version)) {
      return new StartOutcome.Failed(
          DeployReasons.NOT_INSTALLED,
          service + " " + version + " is not installed in " + installer.root(),
          "");
    }
    if (launch.execution() == ExecutionType.DOCKER) {
      return containers.start(launch);
    }
    Path home = home(service, version);
    Path log = log(home);
    try {
      record(
          RunRecord.of(
              launch,
              RunRecord.State.STARTING,
              Optional.empty(),
              Optional.empty(),
              clock.instant()));
    } catch (IOException e) {
      return RunRecord.unwritten(
          service, version, runFile(service).toString(), Failure.describe(e));
    }
    long offset;
    Process p;
    try {
      Files.createDirectories(log.getParent());
      offset = Files.exists(log) ? Files.size(log) : 0;
      p = Scripts.spawn(home, home.resolve("scripts/start.sh"), environment(launch, home), log);
    } catch (IOException e) {
      recordQuietly(launch, RunRecord.State.STOPPED, Optional.empty());
      return new StartOutcome.Failed(
          DeployReasons.START_FAILED,
          "cannot run scripts/start.sh of " + service + " " + version + ": " + Failure.describe(e),
          "");
    }
    Optional<Instant> startTime = p.info().startInstant();
    if (startTime.isEmpty()) {
      // gone before its start could be read
      killLeftovers(p.pid());
      recordQuietly(launch, RunRecord.State.STOPPED, Optional.empty());
      return exited(launch, p, log, offset);
    }
    starting.put(p.pid(), p);
    try {
      Occupants.record(home, p.pid());
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "Service/{0}: cannot record its start in {1}: {2}",
          service,
          home.resolve(Occupants.RECORD),
          Failure.describe(e));
    }
    ProcessRef ref = new ProcessRef(p.pid(), startTime.get());
    recordQuietly(launch, RunRecord.State.STARTING, Optional.of(ref));
    LOG.log(
        Level.INFO,
        "Service/{0}: started {1} as pid {2}",
        service,
        version,
        String.valueOf(ref.pid()));
    return new StartOutcome.Started(ref, offset, false);
  }

  /**
   * Whether a process {@link #start} started still runs: then it is the version's last start (kept
   * for rollback); else a failure with its exit code (when this deployer started it) and the lines
   * it logged.
   */
  @Override
  public StartOutcome confirm(Launch launch, ProcessRef process, long logOffset) {
    Process p = starting.remove(process.pid());
    if (ProcFs.matches(process)) {
      locked(
          launch.service(),
          () -> {
            installer.markStarted(launch.service(), launch.version());
            recordQuietly(launch, RunRecord.State.RUNNING, Optional.of(process));
            return null;
          });
      return new StartOutcome.Started(process, logOffset, true);
    }
    killLeftovers(process.pid());
    recordQuietly(launch, RunRecord.State.STOPPED, Optional.empty());
    return exited(launch, p, log(home(launch.service(), launch.version())), logOffset);
  }

  /** The failure of a start script that exited within its grace period. */
  private StartOutcome exited(Launch launch, Process p, Path log, long offset) {
    String code = "unknown";
    if (p != null) {
      try {
        // it is gone: its exit status is there, or about to be reaped
        code = Integer.toString(p.waitFor());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return new StartOutcome.Failed(
        DeployReasons.EXITED_DURING_START,
        "scripts/start.sh of "
            + launch.service()
            + " "
            + launch.version()
            + " exited with code "
            + code
            + " within "
            + human(timeouts.startGrace())
            + ("0".equals(code)
                ? " (it must keep running in the foreground, e.g. exec the service)"
                : "")
            + "; see "
            + log,
        OutputTail.of(log, offset));
  }

  @Override
  public StopOutcome stop(Launch launch, ProcessRef process) {
    if (launch.execution() == ExecutionType.DOCKER) {
      return containers.stop(launch, process);
    }
    long pgid = process.pid();
    starting.remove(pgid);
    boolean ours = ProcFs.matches(process);
    if (!ours && (ProcFs.exists(pgid) || !ProcFs.groupAlive(pgid))) {
      // gone, or the pid now belongs to another process: nothing of ours to stop
      recordQuietly(launch, RunRecord.State.STOPPED, Optional.empty());
      return new StopOutcome.Stopped(StopStep.NOT_RUNNING);
    }
    recordQuietly(launch, RunRecord.State.STOPPING, Optional.of(process));
    Path home = home(launch.service(), launch.version());
    TreeMap<String, String> env = new TreeMap<>(environment(launch, home));
    env.put(ServiceEnvironment.SERVICE_PID, Long.toString(pgid));
    StopOutcome out =
        stopGroup(launch.service(), home, ours ? Optional.of(env) : Optional.empty(), pgid);
    if (out instanceof StopOutcome.Stopped) {
      recordQuietly(launch, RunRecord.State.STOPPED, Optional.empty());
    }
    return out;
  }

  /**
   * Stops the process that {@code dir} records as started for {@code service} before the directory
   * is deleted, as {@link #stop} does, with the process's own environment for {@code stop.sh} (see
   * {@link ServiceEnvironment#ofRecorded}).
   */
  private void stopRecorded(String service, Path dir, long pgid) {
    LOG.log(
        Level.INFO,
        "Service/{0}: stopping pid {1}, recorded in {2}, before deleting it",
        service,
        Long.toString(pgid),
        dir);
    Map<String, String> env =
        ServiceEnvironment.ofRecorded(ProcFs.environment(pgid), service, dir.toString(), pgid);
    StopOutcome out = stopGroup(service, dir, Optional.of(env), pgid);
    if (out instanceof StopOutcome.Failed f) {
      LOG.log(Level.WARNING, "Service/{0}: {1}", service, f.message());
    }
  }

  /**
   * Stops process group {@code pgid} of {@code service}: {@code scripts/stop.sh} of {@code home}
   * with {@code stopEnv} (when given), then SIGTERM, then SIGKILL.
   */
  private StopOutcome stopGroup(
      String service, Path home, Optional<Map<String, String>> stopEnv, long pgid) {
    try {
      if (stopEnv.isPresent() && stopScript(service, home, stopEnv.get(), pgid)) {
        return stopped(service, StopStep.STOP_SCRIPT);
      }
      Scripts.signalGroup(pgid, "TERM");
      if (waiter.until(timeouts.term(), () -> !ProcFs.groupAlive(pgid))) {
        return stopped(service, StopStep.SIGTERM);
      }
      Scripts.signalGroup(pgid, "KILL");
      if (waiter.until(timeouts.kill(), () -> !ProcFs.groupAlive(pgid))) {
        return stopped(service, StopStep.SIGKILL);
      }
      return new StopOutcome.Failed(
          DeployReasons.STOP_FAILED,
          "process group "
              + pgid
              + " of "
              + service
              + " is still alive "
              + human(timeouts.kill())
              + " after SIGKILL");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new StopOutcome.Failed(
          DeployReasons.INTERRUPTED,
          "interrupted while stopping " + service + " (pid " + pgid + "); it may still be running");
    }
  }

  @Override
  public Observation observe(String service, String version, Optional<ProcessRef> process) {
    return new Observation(
        installer.isInstalled(service, version), process.map(ProcFs::matches).orElse(false));
  }

  /** {@link #observe(String, String, Optional)}, or the service's container when it is one. */
  @Override
  public Observation observe(
      String service,
      String version,
      Optional<ProcessRef> process,
      Optional<Ipv4> address,
      ExecutionType execution) {
    if (execution != ExecutionType.DOCKER) {
      return observe(service, version, process);
    }
    return containers.observe(
        new Observation(installer.isInstalled(service, version), false), service, version, process);
  }

  @Override
  public Optional<WireGuardRoutes.Interface> wireguard(Cidr subnet) {
    try {
      return WireGuardRoutes.parse(
          Scripts.output(WireGuardRoutes.PROBE, SYSTEM_PATH, WIREGUARD_TIMEOUT), subnet);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot read this host's WireGuard interfaces: " + e.getMessage());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  @Override
  public AddressOutcome allowPeer(String device, String key, Collection<String> allowed) {
    try {
      Scripts.Ran r =
          Scripts.run(
              WireGuardRoutes.allowScript(device, key, allowed), SYSTEM_PATH, WIREGUARD_TIMEOUT);
      if (r.exit() != 0) {
        return new AddressOutcome.Failed(
            DeployReasons.ADDRESS_FAILED,
            "cannot set the AllowedIPs of a WireGuard peer on "
                + device
                + " of the controller's host: "
                + r.output().strip());
      }
      return new AddressOutcome.Done(device);
    } catch (IOException e) {
      return new AddressOutcome.Failed(
          DeployReasons.ADDRESS_FAILED,
          "cannot set WireGuard peers on the controller's host: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new AddressOutcome.Failed(
          DeployReasons.INTERRUPTED, "interrupted while setting WireGuard peers");
    }
  }

  @Override
  public HealthResult checkHealth(
      Launch launch, Optional<ProcessRef> process, String script, Duration timeout) {
    HealthResult r = runHealthScript(launch, script, timeout);
    if (launch.execution() == ExecutionType.DOCKER) {
      return containers.health(r, launch, process);
    }
    if (process.isEmpty()
        || (r instanceof HealthResult.Failing f && f.reason().equals(DeployReasons.INTERRUPTED))) {
      return r;
    }
    return HealthResult.withProcess(
        r,
        launch.service() + " " + launch.version(),
        process.get().pid(),
        ProcFs.matches(process.get()));
  }

  private HealthResult runHealthScript(Launch launch, String script, Duration timeout) {
    String what = launch.service() + " " + launch.version();
    Path home = home(launch.service(), launch.version());
    Path file = home.resolve(script).normalize();
    if (!file.startsWith(home) || !Files.isRegularFile(file)) {
      return new HealthResult.Failing(
          DeployReasons.HEALTH_SCRIPT_MISSING,
          "the health script " + script + " of " + what + " is not in " + home,
          OptionalInt.empty(),
          "");
    }
    Path out = null;
    Process p = null;
    try {
      Path logs = log(home).getParent();
      Files.createDirectories(logs);
      out = Files.createTempFile(logs, "health-", ".out");
      // a new, empty file: the script's output is appended to it
      p = Scripts.spawn(home, file, environment(launch, home), out);
      Process check = p;
      if (!waiter.until(timeout, () -> !check.isAlive())) {
        Scripts.signalGroup(check.pid(), "KILL");
        waiter.until(timeouts.kill(), () -> !check.isAlive());
        return new HealthResult.Failing(
            DeployReasons.HEALTH_CHECK_TIMEOUT,
            "the health check of "
                + what
                + " did not finish within "
                + human(timeout)
                + "; killed it",
            OptionalInt.empty(),
            OutputTail.of(out, 0));
      }
      killLeftovers(check.pid());
      int code = check.exitValue();
      String output = OutputTail.of(out, 0);
      return code == 0
          ? new HealthResult.Passing(output)
          : new HealthResult.Failing(
              DeployReasons.HEALTH_CHECK_FAILED,
              "the health check of " + what + " exited with code " + code,
              OptionalInt.of(code),
              output);
    } catch (IOException e) {
      return new HealthResult.Failing(
          DeployReasons.HEALTH_SCRIPT_MISSING,
          "cannot run the health script " + script + " of " + what + ": " + Failure.describe(e),
          OptionalInt.empty(),
          "");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
      return new HealthResult.Failing(
          DeployReasons.INTERRUPTED,
          "interrupted while checking the health of " + what,
          OptionalInt.empty(),
          "");
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException e) {
          LOG.log(Level.DEBUG, "cannot delete {0}: {1}", out, e.getMessage());
        }
      }
    }
  }

  /**
   * Runs {@code stop.sh} of {@code home} with {@code env} (which holds {@code SERVICE_PID}); true
   * when process group {@code pgid} is gone within the stop-script timeout. Gives up early when the
   * script fails, and kills the script (and what it started) if it is still running at the end.
   */
  private boolean stopScript(String service, Path home, Map<String, String> env, long pgid)
      throws InterruptedException {
    Path script = home.resolve("scripts/stop.sh");
    if (!Files.isRegularFile(script)) {
      LOG.log(
          Level.WARNING,
          "Service/{0}: no scripts/stop.sh in {1}; stopping it with SIGTERM",
          service,
          home);
      return false;
    }
    Process s;
    try {
      Path log = log(home);
      Files.createDirectories(log.getParent());
      s = Scripts.spawn(home, script, env, log);
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "Service/{0}: cannot run scripts/stop.sh ({1}); stopping it with SIGTERM",
          service,
          Failure.describe(e));
      return false;
    }
    try {
      waiter.until(
          timeouts.stopScript(),
          () -> !ProcFs.groupAlive(pgid) || (!s.isAlive() && s.exitValue() != 0));
      return !ProcFs.groupAlive(pgid);
    } finally {
      if (s.isAlive() || ProcFs.groupAlive(s.pid())) {
        killGroupQuietly(s.pid());
      }
    }
  }

  private StopOutcome stopped(String service, StopStep step) {
    LOG.log(Level.INFO, "Service/{0}: stopped ({1})", service, step);
    return new StopOutcome.Stopped(step);
  }

  /** The file of {@code service}'s run record. */
  private Path runFile(String service) {
    return installer.root().resolve(RunRecord.fileName(service));
  }

  /** Replaces the run record of {@code r}'s service with {@code r}, atomically and on disk. */
  private void record(RunRecord r) throws IOException {
    AtomicFiles.write(runFile(r.service()), r.text().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Records {@code launch} in {@code state} with {@code process}, now; a failure is logged: the
   * record of a side effect that ran, or of a stop, which runs anyway.
   */
  private void recordQuietly(Launch launch, RunRecord.State state, Optional<ProcessRef> process) {
    try {
      record(RunRecord.of(launch, state, process, Optional.empty(), clock.instant()));
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "Service/{0}: cannot write its run record {1} ({2}): {3}",
          launch.service(),
          runFile(launch.service()),
          state.wireName(),
          Failure.describe(e));
    }
  }

  /** Kills what a script that has exited left running in its process group. */
  private static void killLeftovers(long pgid) {
    if (ProcFs.groupAlive(pgid)) {
      killGroupQuietly(pgid);
    }
  }

  private static void killGroupQuietly(long pgid) {
    boolean interrupted = Thread.interrupted();
    try {
      Scripts.signalGroup(pgid, "KILL");
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Map<String, String> environment(Launch launch, Path home) {
    return ServiceEnvironment.of(launch, home.toString(), controllerEnv);
  }

  private static Path log(Path home) {
    return home.resolve("logs").resolve("service.log");
  }

  private static String human(Duration d) {
    return new SpecDuration(Math.max(0, d.toMillis())).toString();
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
}
