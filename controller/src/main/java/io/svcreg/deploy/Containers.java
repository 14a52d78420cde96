package io.svcreg.deploy;

import io.svcreg.schema.Endpoint;
import io.svcreg.schema.PackageManifest;
import io.svcreg.schema.Protocol;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Services run as Docker containers ({@code execution: {type: docker}}) on a node that has Docker,
 * the controller's own host and SSH nodes alike: the shell scripts that load, run, stop, inspect
 * and remove them, and what their output means. A deployer runs the scripts on its node through
 * {@link Node}.
 *
 * <p>A service's container is {@code svcreg-NAME} ({@link #container}), labelled {@value
 * #LABEL_MANAGED}{@code =svcreg}, {@value #LABEL_SERVICE}{@code =NAME} and {@value
 * #LABEL_VERSION}{@code =VERSION}. It runs the package's {@code service.image} with the service's
 * environment ({@link ServiceEnvironment}, without the variables passed through from the
 * controller), each endpoint published on the service's address ({@code -p IP:PORT:PORT}, {@code
 * /udp} for udp endpoints), and restart policy {@code unless-stopped}: Docker starts it again when
 * it exits or the node boots, not after a stop. A package with {@code image.tar} at its root
 * ({@code docker save} output) has it loaded at a start unless the node has the image already; the
 * image's id must be the config digest that {@code image.tar}'s {@code manifest.json} names (a
 * checksum of the image), else nothing runs. Images loaded from a package are also tagged {@code
 * svcreg.local/NAME:VERSION} ({@link #repository}); an image is removed when no installed version
 * of the service names it any more, no other such tag points at it and no container uses it. Images
 * that were on the node without {@code image.tar} are never removed.
 */
public final class Containers {

  /** The label whose value is {@code svcreg} on every container svcreg runs. */
  public static final String LABEL_MANAGED = "io.svcreg.managed-by";

  /** The label that holds the service's name. */
  public static final String LABEL_SERVICE = "io.svcreg.service";

  /** The label that holds the version the container runs. */
  public static final String LABEL_VERSION = "io.svcreg.version";

  /** The file of a package's image, {@code docker save} output, at the package root. */
  public static final String IMAGE_TAR = "image.tar";

  private static final System.Logger LOG = System.getLogger(Containers.class.getName());
  private static final int LOG_LINES = 20;
  private static final int LOG_BYTES = 2048;

  /** Where the scripts run: the node, and what a deployer keeps there besides containers. */
  public interface Node {

    /**
     * Runs a POSIX {@code sh} script on the node for its exit status and its output (stdout, then
     * stderr); fails when it does not end within {@code timeout} or the node cannot be reached.
     */
    Ran run(String script, Duration timeout) throws IOException;

    /** The node in messages, e.g. {@code the controller's host}. */
    String describe();

    /** The install directory of a version on the node. */
    String home(String service, String version);

    /** Replaces the service's run record on the node. */
    void record(RunRecord record) throws IOException;

    /**
     * Records in the version's install marker that it was started (it is then kept for rollback).
     */
    void markStarted(String service, String version);
  }

  /** What a script did: its exit status and its output. */
  public record Ran(int exit, String output) {}

  private final Node node;
  private final DeployTimeouts timeouts;
  private final InstantSource clock;

  /** The containers of {@code node}, started and stopped within {@code timeouts}. */
  public Containers(Node node, DeployTimeouts timeouts, InstantSource clock) {
    this.node = Objects.requireNonNull(node, "node");
    this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The name of a service's container: {@code svcreg-} and its sanitized name. */
  public static String container(String service) {
    return "svcreg-" + InstallLayout.sanitizedName(service);
  }

  /** The repository of the tags svcreg gives the images it loaded for a service. */
  public static String repository(String service) {
    return "svcreg.local/"
        + InstallLayout.sanitizedName(service).toLowerCase(java.util.Locale.ROOT);
  }

  /** The tag of the version's image in {@link #repository} (at most 128 characters). */
  static String tag(String version) {
    String v = InstallLayout.directoryName("x", version).substring(2);
    return v.length() > 128 ? v.substring(0, 128) : v;
  }

  /**
   * Runs the container of {@code launch}: loads its image when needed, replaces the service's
   * container, and waits through the start grace period; started when it still runs then without
   * having been restarted, else a failure with the last lines it logged.
   */
  public StartOutcome start(Launch launch) {
    String service = launch.service();
    String version = launch.version();
    String what = service + " " + version;
    String home = node.home(service, version);
    Optional<String> image;
    try {
      image = image(home);
    } catch (IOException e) {
      return new StartOutcome.Failed(
          DeployReasons.START_FAILED,
          "cannot read the manifest of " + what + " on " + node.describe() + ": " + e.getMessage(),
          "");
    }
    if (image.isEmpty()) {
      return new StartOutcome.Failed(
          DeployReasons.NOT_INSTALLED,
          what
              + " is not installed on "
              + node.describe()
              + " as a docker package (its manifest.yaml names no service.image)",
          "");
    }
    try {
      node.record(
          RunRecord.of(
              launch,
              RunRecord.State.STARTING,
              Optional.empty(),
              Optional.of(container(service)),
              clock.instant()));
    } catch (IOException e) {
      return RunRecord.unwritten(
          service, version, RunRecord.fileName(service) + " on " + node.describe(), e.getMessage());
    }
    Ran r;
    try {
      r = node.run(startScript(launch, home, image.get()), startTimeout());
    } catch (IOException e) {
      recordStopped(launch);
      return new StartOutcome.Failed(
          DeployReasons.START_FAILED,
          "cannot start the container of "
              + what
              + " on "
              + node.describe()
              + ": "
              + e.getMessage(),
          "");
    }
    String out = r.output();
    Optional<StartOutcome.Failed> refused = refused(what, home, image.get(), out);
    if (refused.isPresent()) {
      recordStopped(launch);
      return refused.get();
    }
    int sep = out.indexOf("\n---\n");
    String logs = sep < 0 ? "" : out.substring(sep + 5).strip();
    Optional<State> st = State.parse(sep < 0 ? out : out.substring(0, sep));
    if (st.isEmpty() || !st.get().running() || st.get().restarts() > 0) {
      // stopped, so that Docker does not start it again (it stays for docker logs until the next
      // start replaces it); the controller's start limit decides about retries
      docker(
          "docker stop -t 1 " + Shell.quote(container(service)) + " >/dev/null 2>&1\n",
          "stop the container of " + what);
      recordStopped(launch);
      return new StartOutcome.Failed(
          DeployReasons.EXITED_DURING_START,
          "the container "
              + container(service)
              + " of "
              + what
              + " on "
              + node.describe()
              + st.map(
                      s ->
                          s.restarts() > 0
                              ? " exited and was restarted"
                              : " exited with code " + s.exitCode())
                  .orElse(" did not start: " + lastLine(out))
              + " within "
              + Shell.seconds(timeouts.startGrace())
              + " s (docker logs "
              + container(service)
              + ")",
          logs);
    }
    ProcessRef ref = st.get().process();
    recordQuietly(launch, RunRecord.State.RUNNING, Optional.of(ref));
    node.markStarted(service, version);
    return new StartOutcome.Started(ref, 0, true);
  }

  /** Why a start script refused to run the container, from its first line; empty when it ran. */
  private Optional<StartOutcome.Failed> refused(
      String what, String home, String image, String out) {
    String first = out.lines().findFirst().orElse("");
    String rest = first.indexOf(' ') < 0 ? "" : first.substring(first.indexOf(' ') + 1);
    String where = " on " + node.describe();
    return Optional.ofNullable(
        switch (first.split(" ", 2)[0]) {
          case "nodocker" ->
              new StartOutcome.Failed(
                  DeployReasons.REQUIREMENT_MISSING,
                  what
                      + " runs as a Docker container, but "
                      + node.describe()
                      + " has no docker command; install Docker there",
                  "");
          case "notinstalled" ->
              new StartOutcome.Failed(
                  DeployReasons.NOT_INSTALLED, what + " is not installed in " + home + where, "");
          case "badimage" ->
              new StartOutcome.Failed(
                  DeployReasons.CHECKSUM_MISMATCH,
                  "the image of " + what + where + " does not match " + IMAGE_TAR + ": " + rest,
                  "");
          case "noimage" ->
              new StartOutcome.Failed(
                  DeployReasons.START_FAILED,
                  "the image "
                      + image
                      + " of "
                      + what
                      + " is not"
                      + where
                      + " and the package has no "
                      + IMAGE_TAR
                      + "; load it there (docker load) or add it to the package (docker save -o "
                      + IMAGE_TAR
                      + " "
                      + image
                      + ")",
                  "");
          case "loadfailed", "runfailed" ->
              new StartOutcome.Failed(
                  DeployReasons.START_FAILED,
                  (first.startsWith("load") ? "docker load of " + IMAGE_TAR : "docker run")
                      + " of "
                      + what
                      + where
                      + " failed: "
                      + rest,
                  "");
          default -> null;
        });
  }

  private String startScript(Launch launch, String home, String image) {
    String service = launch.service();
    Map<String, String> env = environment(launch, home);
    StringBuilder run =
        new StringBuilder("docker run -d --name \"$c\" --restart unless-stopped")
            .append(" --label ")
            .append(Shell.quote(LABEL_MANAGED + "=svcreg"))
            .append(" --label ")
            .append(Shell.quote(LABEL_SERVICE + "=" + service))
            .append(" --label ")
            .append(Shell.quote(LABEL_VERSION + "=" + launch.version()));
    env.forEach((k, v) -> run.append(" -e ").append(Shell.quote(k + "=" + v)));
    for (Endpoint e : launch.endpoints()) {
      run.append(" -p ")
          .append(
              Shell.quote(
                  launch.ip()
                      + ":"
                      + e.port()
                      + ":"
                      + e.port()
                      + (e.protocol() == Protocol.UDP ? "/udp" : "/tcp")));
    }
    run.append(" \"$img\"");
    return "home="
        + Shell.quote(home)
        + "\nc="
        + Shell.quote(container(service))
        + "\nimg="
        + Shell.quote(image)
        + "\nrepo="
        + Shell.quote(repository(service))
        + "\ntag="
        + Shell.quote(tag(launch.version()))
        + "\n"
        + "command -v docker >/dev/null 2>&1 || { echo nodocker; exit 0; }\n"
        + "[ -f \"$home/"
        + InstallMarker.FILE
        + "\" ] || { echo notinstalled; exit 0; }\n"
        + "flat() { tr '\\n' ' ' | tail -c 600; }\n"
        + "if [ -f \"$home/"
        + IMAGE_TAR
        + "\" ]; then\n"
        // the config digest that docker save wrote (Config: ID.json, or blobs/sha256/ID)
        + "  want=$(tar -xOf \"$home/"
        + IMAGE_TAR
        + "\" manifest.json 2>/dev/null | sed -n 's/.*\"Config\":\"\\([^\"]*\\)\".*/\\1/p'"
        + " | grep -o '[0-9a-f]\\{64\\}' | head -n 1)\n"
        + "  [ -n \"$want\" ] || { echo 'badimage it has no manifest.json that names its config"
        + " (make it with docker save)'; exit 0; }\n"
        + "  if [ \"$(docker image inspect -f '{{.Id}}' \"$img\" 2>/dev/null)\" != \"sha256:$want\" ]; then\n"
        + "    o=$(docker load -q -i \"$home/"
        + IMAGE_TAR
        + "\" 2>&1) || { echo \"loadfailed $(printf '%s' \"$o\" | flat)\"; exit 0; }\n"
        + "    have=$(docker image inspect -f '{{.Id}}' \"$img\" 2>/dev/null)\n"
        + "    [ \"$have\" = \"sha256:$want\" ] || { echo \"badimage $img is ${have:-not in it},"
        + " its config is sha256:$want\"; exit 0; }\n"
        + "  fi\n"
        + "  docker tag \"$img\" \"$repo:$tag\" >/dev/null 2>&1\n"
        + "else\n"
        + "  docker image inspect \"$img\" >/dev/null 2>&1 || { echo noimage; exit 0; }\n"
        + "fi\n"
        + "docker rm -f \"$c\" >/dev/null 2>&1\n"
        + "o=$("
        + run
        + " 2>&1) || { echo \"runfailed $(printf '%s' \"$o\" | flat)\"; docker rm -f \"$c\" >/dev/null 2>&1; exit 0; }\n"
        + "sleep "
        + Shell.seconds(timeouts.startGrace())
        + "\n"
        + INSPECT
        + "echo ---\n"
        + "docker logs --tail "
        + LOG_LINES
        + " \"$c\" 2>&1 | tail -c "
        + LOG_BYTES
        + "\n";
  }

  /** Prints the container's state line ({@link State#parse}), or {@code absent}. */
  private static final String INSPECT =
      "docker inspect -f 'state {{.State.Status}} {{.State.Pid}} {{.State.StartedAt}}"
          + " {{.RestartCount}} {{.State.ExitCode}} {{.Id}} {{index .Config.Labels \""
          + LABEL_VERSION
          + "\"}}' \"$c\" 2>/dev/null || echo absent\n";

  /**
   * The environment the container runs with: the service's ({@link ServiceEnvironment}), without
   * what the controller passes through to scripts ({@code PATH} and the like belong to the image)
   * and without {@code SERVICE_HOME} (the install directory is on the node, not in the container;
   * and a process with it would pass for a stray of a managed process there).
   */
  static Map<String, String> environment(Launch launch, String home) {
    TreeMap<String, String> env = new TreeMap<>(ServiceEnvironment.of(launch, home, Map.of()));
    for (String name : ServiceEnvironment.PASSED_THROUGH) {
      if (!launch.env().containsKey(name)) {
        env.remove(name);
      }
    }
    env.remove("SERVICE_HOME");
    return env;
  }

  /** The {@code service.image} of the manifest installed in {@code home}; empty when none. */
  private Optional<String> image(String home) throws IOException {
    Ran r =
        node.run(
            "cat " + Shell.quote(home + "/manifest.yaml") + " 2>/dev/null || exit 3\n",
            timeouts.stopScript());
    if (r.exit() != 0) {
      return Optional.empty();
    }
    return switch (PackageManifest.parse("manifest.yaml", r.output())) {
      case PackageManifest.Parsed.Ok ok -> ok.manifest().image();
      case PackageManifest.Parsed.Invalid bad -> Optional.empty();
    };
  }

  private Duration startTimeout() {
    // a docker load of a large image takes its time; a start grace period on top
    return Duration.ofMinutes(5).plus(timeouts.startGrace());
  }

  private void recordStopped(Launch launch) {
    recordQuietly(launch, RunRecord.State.STOPPED, Optional.empty());
  }

  /**
   * Records {@code launch} in {@code state} with {@code process}, after a side effect that ran (or
   * before a stop, which runs anyway): a record that cannot be written lags until the next one.
   */
  private void recordQuietly(Launch launch, RunRecord.State state, Optional<ProcessRef> process) {
    try {
      node.record(
          RunRecord.of(
              launch, state, process, Optional.of(container(launch.service())), clock.instant()));
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "Service/{0}: cannot write its run record ({1}) on {2}: {3}",
          launch.service(),
          state.wireName(),
          node.describe(),
          e.getMessage());
    }
  }

  /**
   * Stops the service's container ({@code docker stop}: the image's stop signal, SIGKILL after the
   * stop timeouts); it stays, stopped, until the next start or the removal. Not running: {@link
   * StopStep#NOT_RUNNING}; else {@link StopStep#SIGKILL} when it had to be killed, {@link
   * StopStep#SIGTERM} when it ended on its own.
   */
  public StopOutcome stop(Launch launch, ProcessRef process) {
    String service = launch.service();
    recordQuietly(launch, RunRecord.State.STOPPING, Optional.of(process));
    Duration grace = timeouts.stopScript().plus(timeouts.term());
    String script =
        "c="
            + Shell.quote(container(service))
            + "\ncommand -v docker >/dev/null 2>&1 || { echo step NOT_RUNNING; exit 0; }\n"
            + "was=$(docker inspect -f '{{.State.Running}}' \"$c\" 2>/dev/null) || { echo step NOT_RUNNING; exit 0; }\n"
            + "o=$(docker stop -t "
            + Math.max(1, grace.toSeconds())
            + " \"$c\" 2>&1) || { echo \"step FAILED $o\"; exit 0; }\n"
            + "[ \"$was\" = true ] || { echo step NOT_RUNNING; exit 0; }\n"
            + "if [ \"$(docker inspect -f '{{.State.ExitCode}}' \"$c\")\" = 137 ]; then echo step SIGKILL;"
            + " else echo step SIGTERM; fi\n";
    try {
      Ran r = node.run(script, grace.plus(timeouts.kill()).plus(Duration.ofSeconds(30)));
      String line = lastLine(r.output());
      if (line.startsWith("step ") && !line.startsWith("step FAILED")) {
        recordStopped(launch);
        return new StopOutcome.Stopped(StopStep.valueOf(line.substring(5).trim()));
      }
      return new StopOutcome.Failed(
          DeployReasons.STOP_FAILED,
          "the container "
              + container(service)
              + " on "
              + node.describe()
              + " did not stop: "
              + line);
    } catch (IOException e) {
      return new StopOutcome.Failed(
          DeployReasons.STOP_FAILED,
          "cannot stop the container of "
              + service
              + " on "
              + node.describe()
              + ": "
              + e.getMessage());
    }
  }

  /**
   * {@code base} (what the deployer saw of the install and the address) with whether the service's
   * container runs {@code version}, and its process when that is not {@code process} (Docker
   * started it again).
   *
   * @throws NodeUnavailable when the node cannot be asked
   */
  public Observation observe(
      Observation base, String service, String version, Optional<ProcessRef> process) {
    Optional<State> st = state(service);
    boolean running = st.isPresent() && st.get().running() && st.get().version().equals(version);
    Optional<ProcessRef> now =
        running && !(process.isPresent() && st.get().runs(process.get()))
            ? Optional.of(st.get().process())
            : Optional.empty();
    return new Observation(base.installed(), running, base.addressMissing(), now);
  }

  /**
   * {@code script}'s result (the package's health script, run on the node) cross-checked with the
   * container: when it no longer runs {@code process}, a failure ({@link
   * DeployReasons#PROCESS_EXITED}).
   */
  public HealthResult health(HealthResult script, Launch launch, Optional<ProcessRef> process) {
    if (process.isEmpty()) {
      return script;
    }
    Optional<State> st;
    try {
      st = state(launch.service());
    } catch (NodeUnavailable e) {
      return new HealthResult.Failing(e.reason(), e.getMessage(), OptionalInt.empty(), "");
    }
    boolean same = st.isPresent() && st.get().running() && st.get().runs(process.get());
    return HealthResult.withProcess(
        script,
        launch.service() + " " + launch.version() + " on " + node.describe(),
        process.get().pid(),
        same);
  }

  /** The state of the service's container, empty when there is none (or no docker). */
  private Optional<State> state(String service) {
    try {
      Ran r =
          node.run(
              "c="
                  + Shell.quote(container(service))
                  + "\ncommand -v docker >/dev/null 2>&1 || { echo absent; exit 0; }\n"
                  + INSPECT,
              timeouts.stopScript());
      return State.parse(r.output());
    } catch (IOException e) {
      throw new NodeUnavailable(
          DeployReasons.CONNECTION_LOST,
          "cannot inspect the container of "
              + service
              + " on "
              + node.describe()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Removes the service's container and the images svcreg loaded for it that nothing uses any more;
   * a failure's message, or empty.
   */
  public Optional<String> remove(String service) {
    return docker(
        "c="
            + Shell.quote(container(service))
            + "\nid=$(docker ps -aq --filter name='^'\"$c\"'$' --filter label="
            + Shell.quote(LABEL_SERVICE + "=" + service)
            + ")\n"
            + "[ -z \"$id\" ] || docker rm -f \"$id\" >/dev/null || exit 1\n"
            + pruneLines(service, List.of()),
        "remove the container of " + service);
  }

  /**
   * Removes the images svcreg loaded for versions of {@code service} other than {@code keep}, when
   * nothing else uses them; a failure's message, or empty.
   */
  public Optional<String> pruneImages(String service, Collection<String> keep) {
    return docker(pruneLines(service, keep), "prune the images of " + service);
  }

  private Optional<String> docker(String lines, String what) {
    try {
      Ran r =
          node.run(
              "command -v docker >/dev/null 2>&1 || exit 0\n" + lines,
              timeouts.stopScript().plus(Duration.ofSeconds(60)));
      return r.exit() == 0
          ? Optional.empty()
          : Optional.of("cannot " + what + " on " + node.describe() + ": " + lastLine(r.output()));
    } catch (IOException e) {
      return Optional.of("cannot " + what + " on " + node.describe() + ": " + e.getMessage());
    }
  }

  /**
   * Lines that untag {@code svcreg.local/NAME:V} for each version {@code V} not in {@code keep},
   * and remove the image's other names when no other svcreg tag points at it and no container uses
   * it.
   */
  private static String pruneLines(String service, Collection<String> keep) {
    String kept = keep.stream().map(Containers::tag).collect(Collectors.joining(" "));
    return "repo="
        + Shell.quote(repository(service))
        + "\nkeep="
        + Shell.quote(" " + kept + " ")
        + "\n"
        + "for t in $(docker images --format '{{.Tag}}' \"$repo\"); do\n"
        + "  case \"$keep\" in *\" $t \"*) continue ;; esac\n"
        + "  id=$(docker image inspect -f '{{.Id}}' \"$repo:$t\" 2>/dev/null) || continue\n"
        + "  docker rmi \"$repo:$t\" >/dev/null || continue\n"
        + "  names=$(docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}'"
        + " | awk -v id=\"$id\" '$2 == id { print $1 }')\n"
        + "  case \"$names\" in *svcreg.local/*) continue ;; esac\n"
        + "  [ -z \"$(docker ps -aq --filter ancestor=\"$id\")\" ] || continue\n"
        + "  for n in $names; do docker rmi \"$n\" >/dev/null 2>&1; done\n"
        + "done\n";
  }

  private static String lastLine(String text) {
    String t = text.strip();
    int nl = t.lastIndexOf('\n');
    return nl < 0 ? t : t.substring(nl + 1);
  }

  /**
   * A container's state: whether it runs, its main process (pid, Docker's start time and the
   * container's id), how often Docker restarted it, its last exit code and the version it runs.
   */
  record State(boolean running, ProcessRef process, int restarts, int exitCode, String version) {

    /**
     * Whether its process is {@code p}: the same pid, started at the same time (within a
     * millisecond: Docker gives nanoseconds, which not every record of a process keeps).
     */
    boolean runs(ProcessRef p) {
      return p.pid() == process.pid()
          && Duration.between(p.startTime(), process.startTime()).abs().toMillis() < 1;
    }

    /** The {@code state ...} line of {@link #INSPECT} in {@code out}; empty when absent. */
    static Optional<State> parse(String out) {
      for (String line : out.split("\n")) {
        String[] w = line.trim().split(" ");
        if (w.length >= 7 && w[0].equals("state")) {
          try {
            long pid = Long.parseLong(w[2]);
            Instant started = Instant.parse(w[3]);
            return Optional.of(
                new State(
                    w[1].equals("running") && pid > 1,
                    new ProcessRef(pid, started, Optional.of(w[6])),
                    Integer.parseInt(w[4]),
                    Integer.parseInt(w[5]),
                    w.length > 7 ? w[7] : ""));
          } catch (NumberFormatException | DateTimeException e) {
            return Optional.empty();
          }
        }
      }
      return Optional.empty();
    }
  }
}
