package io.svcreg.deploy;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Ipv4;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What svcreg runs of a service on a node, recorded on the node itself: the file {@code
 * {installRoot}/.svcreg-run.{name}} ({@link #fileName}), next to the install directories, in the
 * text of {@link InstallMarker} ({@code key=value} lines). A deployer replaces it atomically before
 * each side effect it describes (a start, a stop) and again after it, and deletes it after the
 * service is uninstalled; so the node tells what svcreg did there even when the controller's store
 * is lost.
 *
 * @param service the service
 * @param version the version running, being started or stopped
 * @param previousVersion the version kept installed for rollback, if any
 * @param generation the generation of the spec the controller acted on (0: unknown)
 * @param specHash the hash of that spec (empty when unknown: a record written before it was kept)
 * @param dependencies the {@code ip:port} of each dependency the process was started with, by
 *     dependency name ({@code dependency.NAME} keys in the file)
 * @param address the service's address
 * @param subnet the subnet whose prefix the address is configured with on the node, where svcreg
 *     configures addresses on nodes ({@code lan}, {@code wireguard})
 * @param execution how the service's process is run
 * @param process the started process (pid and start time): known once the start has run; a unit's
 *     or a container's main process, with the container's id ({@code containerId} in the file)
 * @param unit the systemd unit, for {@code execution: systemd}
 * @param controller the identity of the controller that wrote it (empty when unknown)
 * @param state what was done last: being started, running, being stopped, stopped
 * @param writtenAt when the controller wrote (or sent) it, by its clock
 */
public record RunRecord(
    String service,
    String version,
    Optional<String> previousVersion,
    long generation,
    String specHash,
    Map<String, String> dependencies,
    Optional<Ipv4> address,
    Optional<Cidr> subnet,
    ExecutionType execution,
    Optional<ProcessRef> process,
    Optional<String> unit,
    String controller,
    State state,
    Instant writtenAt) {

  /** The prefix of a run record's file name. */
  public static final String PREFIX = ".svcreg-run.";

  private static final String DEPENDENCY = "dependency.";

  public RunRecord {
    Objects.requireNonNull(specHash, "specHash");
    dependencies = Collections.unmodifiableSortedMap(new TreeMap<>(dependencies));
  }

  /** What was done last. */
  public enum State {
    /** A start is about to run, or ran and is within its start grace period. */
    STARTING,
    /** The start outlived its grace period. */
    RUNNING,
    /** A stop is about to run, or ran and did not end the process. */
    STOPPING,
    /** Nothing runs: stopped, or the start exited. */
    STOPPED;

    /** The name in the file, e.g. {@code running}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The file name of {@code service}'s record in the install root. */
  public static String fileName(String service) {
    return PREFIX + InstallLayout.sanitizedName(service);
  }

  /**
   * The record of {@code launch} (its version, address, execution and origin) in {@code state},
   * with {@code process} and {@code unit}, written at {@code at}.
   */
  public static RunRecord of(
      Launch launch, State state, Optional<ProcessRef> process, Optional<String> unit, Instant at) {
    return new RunRecord(
        launch.service(),
        launch.version(),
        launch.origin().previousVersion().filter(v -> !v.equals(launch.version())),
        launch.origin().generation(),
        launch.origin().specHash(),
        launch.dependencyAddresses(),
        Optional.of(launch.ip()),
        launch.subnet(),
        launch.execution(),
        process,
        unit,
        launch.origin().controller(),
        state,
        at);
  }

  /**
   * The failure of a start of {@code version} of {@code service} that did not run because its
   * record could not be written to {@code file} ({@code why}).
   */
  public static StartOutcome.Failed unwritten(
      String service, String version, String file, String why) {
    return new StartOutcome.Failed(
        DeployReasons.START_FAILED,
        "cannot record the start of "
            + service
            + " "
            + version
            + " in "
            + file
            + ", so it was not started: "
            + why,
        "");
  }

  /** This record in {@code next} state, with {@code now} as its process, written at {@code at}. */
  public RunRecord then(State next, Optional<ProcessRef> now, Instant at) {
    return new RunRecord(
        service,
        version,
        previousVersion,
        generation,
        specHash,
        dependencies,
        address,
        subnet,
        execution,
        now,
        unit,
        controller,
        next,
        at);
  }

  /** The record in the file {@code file}, or empty when there is none (or a broken one). */
  public static Optional<RunRecord> read(Path file) {
    return RecordText.read(file).flatMap(RunRecord::of);
  }

  /** The record written as {@code text} (see {@link #text}), or empty when it is broken. */
  public static Optional<RunRecord> parse(String text) {
    return RecordText.parse(text).flatMap(RunRecord::of);
  }

  /** The file's content. */
  public String text() {
    return RecordText.text(values());
  }

  private Map<String, String> values() {
    TreeMap<String, String> v = new TreeMap<>();
    v.put("service", service);
    v.put("version", version);
    previousVersion.ifPresent(p -> v.put("previousVersion", p));
    v.put("generation", Long.toString(generation));
    if (!specHash.isEmpty()) {
      v.put("specHash", specHash);
    }
    dependencies.forEach((name, at) -> v.put(DEPENDENCY + name, at));
    address.ifPresent(a -> v.put("address", a.toString()));
    subnet.ifPresent(s -> v.put("subnet", s.toString()));
    v.put("execution", execution.wireName());
    process.ifPresent(
        p -> {
          v.put("pid", Long.toString(p.pid()));
          v.put("processStartedAt", p.startTime().toString());
          p.containerId().ifPresent(c -> v.put("containerId", c));
        });
    unit.ifPresent(u -> v.put("unit", u));
    if (!controller.isEmpty()) {
      v.put("controller", controller);
    }
    v.put("state", state.wireName());
    v.put("writtenAt", writtenAt.toString());
    return v;
  }

  private static Optional<RunRecord> of(Properties p) {
    String service = p.getProperty("service");
    String version = p.getProperty("version");
    String writtenAt = p.getProperty("writtenAt");
    Optional<ExecutionType> execution =
        ExecutionType.parse(p.getProperty("execution", "managed_process"));
    Optional<State> state = state(p.getProperty("state", ""));
    if (service == null
        || version == null
        || writtenAt == null
        || execution.isEmpty()
        || state.isEmpty()) {
      return Optional.empty();
    }
    try {
      String pid = p.getProperty("pid");
      String started = p.getProperty("processStartedAt");
      Optional<ProcessRef> process =
          pid == null || started == null
              ? Optional.empty()
              : Optional.of(
                  new ProcessRef(
                      Long.parseLong(pid),
                      Instant.parse(started),
                      Optional.ofNullable(p.getProperty("containerId"))));
      String address = p.getProperty("address");
      String subnet = p.getProperty("subnet");
      Map<String, String> dependencies = new TreeMap<>();
      for (String key : p.stringPropertyNames()) {
        if (key.startsWith(DEPENDENCY) && key.length() > DEPENDENCY.length()) {
          dependencies.put(key.substring(DEPENDENCY.length()), p.getProperty(key));
        }
      }
      return Optional.of(
          new RunRecord(
              service,
              version,
              Optional.ofNullable(p.getProperty("previousVersion")),
              Long.parseLong(p.getProperty("generation", "0")),
              p.getProperty("specHash", ""),
              dependencies,
              address == null ? Optional.empty() : Optional.of(Ipv4.of(address)),
              subnet == null ? Optional.empty() : Optional.of(Cidr.of(subnet)),
              execution.get(),
              process,
              Optional.ofNullable(p.getProperty("unit")),
              p.getProperty("controller", ""),
              state.get(),
              Instant.parse(writtenAt)));
    } catch (IllegalArgumentException | DateTimeException e) {
      return Optional.empty();
    }
  }

  private static Optional<State> state(String text) {
    for (State s : State.values()) {
      if (s.wireName().equals(text)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
