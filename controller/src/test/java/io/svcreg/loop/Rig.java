package io.svcreg.loop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.svcreg.ControllerApp;
import io.svcreg.Main;
import io.svcreg.Waits;
import io.svcreg.core.ObservedService;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Json;
import io.svcreg.schema.Phase;
import io.svcreg.store.Event;
import io.svcreg.store.EventsSince;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * One controller under test: a temporary directory with specs, packages, the data directory (store
 * and install root), a loopback subnet of its own ({@code 127.a.b.0/24}, never the quick start's)
 * and a free port. {@link #close} closes the controller and kills every process it started. Tests
 * of other packages (e.g. the container nodes' {@code NodeContainerIT}) use its public part.
 */
public final class Rig implements AutoCloseable {

  /** The quick start's packages (store, api, web). */
  static final Path EXAMPLES =
      Path.of(System.getProperty("svcreg.project.root", "..")).resolve("examples/packages");

  final Path root;
  final Path specs;
  final Path packages;
  final Path data;
  final Path installRoot;

  /** The first three octets of this rig's subnet, e.g. {@code 127.83.14}. */
  final String net;

  /** The port every service of this rig listens on (each has its own address). */
  final int port;

  private Controller.Options options;
  private ControllerApp app;
  private final Set<Long> pids = new LinkedHashSet<>();

  public Rig(Path root) {
    this.root = root;
    this.specs = root.resolve("specs");
    this.packages = root.resolve("packages");
    this.data = root.resolve("data");
    this.installRoot = data.resolve("opt");
    ThreadLocalRandom r = ThreadLocalRandom.current();
    this.net = "127." + r.nextInt(20, 250) + "." + r.nextInt(1, 255);
    this.port = freePort(net + ".1");
    this.options =
        new Controller.Options(
            4,
            Duration.ofMillis(100),
            Duration.ofSeconds(2),
            Duration.ofSeconds(2),
            Duration.ofMillis(100),
            Duration.ofMillis(200),
            5,
            Duration.ofSeconds(60));
    try {
      Files.createDirectories(specs);
      Files.createDirectories(packages);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Uses these loop options from the next {@link #start}. */
  Rig options(Controller.Options o) {
    this.options = o;
    return this;
  }

  Controller.Options options() {
    return options;
  }

  /** Starts a controller on this rig's specs and data (debounce 50 ms, rescan 1 s). */
  public ControllerApp start() {
    assertThat(app).as("a controller is already running").isNull();
    app =
        ControllerApp.start(
            new ControllerApp.Config(
                specs, data, installRoot, Duration.ofMillis(50), Duration.ofSeconds(1), options));
    return app;
  }

  ControllerApp app() {
    return app;
  }

  /**
   * Runs {@code svcreg recover --from-fleet} on this rig's specs, data and install root (no
   * controller may run); what it printed, stdout and stderr, goes to {@code out}. Its exit code.
   */
  public int recoverFromFleet(StringWriter out) {
    assertThat(app).as("a controller runs").isNull();
    PrintWriter w = new PrintWriter(out);
    int code =
        Main.run(
            new String[] {
              "recover",
              "--from-fleet",
              "--specs",
              specs.toString(),
              "--data",
              data.toString(),
              "--install-root",
              installRoot.toString()
            },
            w,
            w);
    w.flush();
    return code;
  }

  /** Deletes the controller's store and its backup, as a lost disk would (no controller runs). */
  public void loseStore() {
    assertThat(app).as("a controller runs").isNull();
    for (String dir : List.of("store", "store.bak")) {
      Path d = data.resolve(dir);
      if (Files.exists(d)) {
        try (Stream<Path> walk = Files.walk(d)) {
          for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(f);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  /** Closes the running controller (the services keep running); {@link #start} starts it again. */
  public void stopController() {
    if (app != null) {
      remember();
      app.close();
      app = null;
    }
  }

  // ------------------------------------------------------------------ specs

  /** The network of this rig: {@code local}, type local, its own /24, {@code .1} reserved. */
  String network() {
    return network("local", net + ".0/24", List.of(net + ".1"));
  }

  static String network(String name, String subnet, List<String> reserved) {
    return "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: "
        + name
        + "}\nspec:\n  type: local\n  subnet: "
        + subnet
        + "\n  reserved: ["
        + String.join(", ", reserved)
        + "]\n";
  }

  /** A service spec on this rig's port, health every second. */
  SpecText service(String name, String version, String packageDir) {
    return new SpecText(name, version, "../packages/" + packageDir, port);
  }

  /** Writes a spec file atomically (temp file + rename), as {@code svcreg apply} does. */
  public void write(String file, String... documents) {
    writeAtomically(specs.resolve(file), String.join("---\n", documents));
  }

  static void writeAtomically(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ packages

  /** Copies a quick-start package into this rig's packages. */
  Path example(String name) {
    return copyTree(EXAMPLES.resolve(name), packages.resolve(name));
  }

  /**
   * A package of bash scripts: start.sh writes its pid file and execs {@code sleep}; stop.sh sends
   * SIGTERM; health.sh runs {@code healthBody}; the manifest has this name and version.
   */
  Path light(String dir, String name, String version, String healthBody) {
    return light(dir, name, version, healthBody, "exec sleep 100000");
  }

  /** A light package whose start.sh ends with {@code startTail}. */
  public Path light(String dir, String name, String version, String healthBody, String startTail) {
    Path p = packages.resolve(dir);
    try {
      Files.createDirectories(p.resolve("scripts"));
      Files.writeString(
          p.resolve("manifest.yaml"), "name: " + name + "\nversion: \"" + version + "\"\n");
      script(
          p.resolve("scripts/start.sh"),
          "mkdir -p \"$SERVICE_HOME/run\"\necho \"$$\" >\"$SERVICE_HOME/run/service.pid\"\n"
              + startTail);
      script(
          p.resolve("scripts/stop.sh"),
          "kill -TERM \"$SERVICE_PID\" 2>/dev/null || true\nrm -f \"$SERVICE_HOME/run/service.pid\"");
      script(p.resolve("scripts/health.sh"), healthBody);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  /** A health check that passes while the service's process lives. */
  public static final String HEALTHY = "kill -0 \"$(cat \"$SERVICE_HOME/run/service.pid\")\"";

  /**
   * A health check that lies once when the file {@code lie} is in the install directory: it kills
   * the service (SIGKILL), waits until it is dead (gone or a zombie), removes the file and passes;
   * else {@link #HEALTHY}.
   */
  static final String LIAR =
      "if [ -f \"$SERVICE_HOME/lie\" ]; then rm -f \"$SERVICE_HOME/lie\";"
          + " p=$(cat \"$SERVICE_HOME/run/service.pid\"); kill -KILL \"$p\";"
          + " while [ -e /proc/$p ] && [ \"$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)\" != Z ];"
          + " do sleep 0.02; done; echo \"all good\"; exit 0; fi\n"
          + HEALTHY;

  /** A health check that never passes. */
  static final String UNHEALTHY = "echo \"never healthy\"\nexit 1";

  /** A copy of package {@code from} as {@code to}, with another version in its manifest. */
  Path bump(String from, String to, String version) {
    Path p = copyTree(packages.resolve(from), packages.resolve(to));
    try {
      Path manifest = p.resolve("manifest.yaml");
      String text = Files.readString(manifest);
      Files.writeString(
          manifest, text.replaceFirst("(?m)^version: .*$", "version: \"" + version + "\""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  private static void script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n");
    file.toFile().setExecutable(true, false);
  }

  private static Path copyTree(Path from, Path to) {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return to;
  }

  // ------------------------------------------------------------------ observing

  /** The observed service (fails when the controller does not know it). */
  ObservedService service(String name) {
    return app.store().service(name).orElseThrow(() -> new AssertionError("no service " + name));
  }

  public Optional<ObservedService> find(String name) {
    return app.store().service(name);
  }

  /** The recorded pid of a service (remembered, so that {@link #close} kills it). */
  long pid(String name) {
    long pid =
        service(name).status().pid().orElseThrow(() -> new AssertionError(name + " has no pid"));
    pids.add(pid);
    return pid;
  }

  /** Waits until every named service is running with passing health. */
  void awaitRunning(Duration timeout, String... names) {
    Waits.atMost(timeout)
        .alias(String.join(", ", names) + " running and healthy")
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              for (String n : names) {
                Optional<ObservedService> o = find(n);
                if (o.isEmpty()
                    || o.get().status().phase() != Phase.RUNNING
                    || o.get().status().health().state() != HealthState.PASSING) {
                  return false;
                }
              }
              return true;
            });
    for (String n : names) {
      pid(n);
    }
  }

  /**
   * Waits until service {@code name} is recorded and satisfies {@code condition}; a timeout shows
   * its last status.
   */
  public ObservedService await(
      Duration timeout, String name, String what, Predicate<ObservedService> condition) {
    Waits.atMost(timeout)
        .alias(name + ": " + what)
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> {
              Optional<ObservedService> o = find(name);
              assertThat(o).as("%s is recorded", name).isPresent();
              assertThat(condition.test(o.get()))
                  .as("%s: %s; status: %s", name, what, o.get().status())
                  .isTrue();
            });
    return service(name);
  }

  /** Waits until service {@code name} runs healthy as a process other than {@code oldPid}. */
  ObservedService awaitNewProcess(Duration timeout, String name, long oldPid) {
    return await(
        timeout,
        name,
        "running healthy as a new process",
        o ->
            o.status().phase() == Phase.RUNNING
                && o.status().pid().isPresent()
                && o.status().pid().get() != oldPid
                && o.status().health().state() == HealthState.PASSING);
  }

  /** The reason of a service's {@code Degraded} condition when it is true, else empty. */
  static String degraded(ObservedService o) {
    return o.status()
        .condition(io.svcreg.schema.Condition.DEGRADED)
        .filter(c -> c.status() == io.svcreg.schema.ConditionStatus.TRUE)
        .map(io.svcreg.schema.Condition::reason)
        .orElse("");
  }

  /** Waits until the loop has nothing queued or running. */
  void awaitIdle(Duration timeout) {
    Waits.atMost(timeout).alias("the loop is idle").until(() -> !app.controller().converging());
  }

  /** Every retained event. */
  List<Event> events() {
    return eventsAfter(0);
  }

  /** The retained events after {@code revision}. */
  List<Event> eventsAfter(long revision) {
    return switch (app.store().eventsSince(revision)) {
      case EventsSince.Events e -> e.events();
      case EventsSince.Expired x -> throw new AssertionError("events expired: " + x);
    };
  }

  /**
   * What the {@code type} events of {@code service} after {@code revision} said under {@code key}
   * (e.g. the phases of its {@code deployment_progress}), in revision order.
   */
  public List<String> eventValues(long revision, String type, String service, String key) {
    return eventsAfter(revision).stream()
        .filter(e -> e.type().equals(type) && e.key().equals("Service/" + service))
        .map(e -> String.valueOf(data(e).get(key)))
        .toList();
  }

  /** The data of an event. */
  static Map<String, Object> data(Event e) {
    try {
      return Json.mapper().readValue(e.dataJson(), new TypeReference<Map<String, Object>>() {});
    } catch (JsonProcessingException x) {
      throw new AssertionError("bad event data " + e.dataJson(), x);
    }
  }

  /** The events of this type about this service, in revision order. */
  List<Event> events(String type, String service) {
    return events().stream()
        .filter(e -> e.type().equals(type) && e.key().equals("Service/" + service))
        .toList();
  }

  /** The revision of the first {@code service_state_changed} of {@code service} to {@code to}. */
  long firstTransition(String service, Phase to) {
    return events(Event.SERVICE_STATE_CHANGED, service).stream()
        .filter(e -> to.wireName().equals(data(e).get("to")))
        .mapToLong(Event::revision)
        .findFirst()
        .orElseThrow(() -> new AssertionError(service + " never went to " + to.wireName()));
  }

  /** The environment a process was started with (from {@code /proc/<pid>/environ}). */
  static Map<String, String> environ(long pid) {
    try {
      String raw = Files.readString(Path.of("/proc/" + pid + "/environ"), StandardCharsets.UTF_8);
      Map<String, String> env = new java.util.TreeMap<>();
      for (String kv : raw.split("\0")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
      return env;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether a process of this pid is alive (not a zombie). */
  static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return false;
    }
  }

  /** The processes whose working directory is below this rig's install root (its services). */
  List<Long> processesBelowInstallRoot() {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.toList()) {
        String n = p.getFileName().toString();
        if (!n.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(n);
        if (ours(pid)) {
          out.add(pid);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * The service processes of this rig: process group leaders below its install root that are not
   * scripts (health checks come and go).
   */
  List<Long> servicePids() {
    List<Long> out = new ArrayList<>();
    for (long pid : processesBelowInstallRoot()) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        String cmd = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        if (Long.parseLong(f[2]) == pid && !cmd.contains("/scripts/")) {
          out.add(pid);
        }
      } catch (IOException e) {
        // gone meanwhile
      }
    }
    return out;
  }

  /** Whether a live process works below this rig's install root (started by its controller). */
  private boolean ours(long pid) {
    try {
      Path cwd = Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd"));
      return cwd.startsWith(installRoot.toAbsolutePath()) && alive(pid);
    } catch (IOException | UnsupportedOperationException e) {
      return false; // gone, or not ours to read
    }
  }

  /** Sends SIGKILL to one process (as a crash would). */
  static void kill9(long pid) {
    run("kill", "-KILL", Long.toString(pid));
  }

  private static void run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static int freePort(String ip) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void remember() {
    try {
      app.store().observed().services().forEach(s -> s.status().pid().ifPresent(pids::add));
    } catch (RuntimeException e) {
      // the store may already be closed
    }
  }

  /**
   * Closes the controller and kills the process group of every service it started: the recorded
   * pids and any process still working below the install root.
   */
  @Override
  public void close() {
    try {
      stopController();
    } finally {
      Set<Long> all = new LinkedHashSet<>(pids);
      all.addAll(processesBelowInstallRoot());
      all.removeIf(pid -> !ours(pid));
      for (long pid : all) {
        run("kill", "-KILL", "--", "-" + pid);
        run("kill", "-KILL", Long.toString(pid));
      }
      Waits.atMost(Duration.ofSeconds(10))
          .alias("the services of the test are gone")
          .until(() -> all.stream().noneMatch(Rig::alive));
    }
  }
}
