package io.svcreg.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.svcreg.ControllerApp;
import io.svcreg.core.ObservedService;
import io.svcreg.deploy.ssh.OpenSshd;
import io.svcreg.loop.Rig;
import io.svcreg.schema.Condition;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Json;
import io.svcreg.schema.Phase;
import io.svcreg.store.Event;
import io.svcreg.store.EventsSince;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Container nodes for a controller under test ({@link Rig}) and what the node tests ask of both: a
 * {@link NodeLan} whose nodes root logs in to with one key, a known hosts file with their host
 * keys, the spec texts of network {@code lan} (its subnet, one install root on every node) and of
 * services on its nodes, and readers of the controller's journal and of this host's processes.
 * {@link #close} removes the nodes and the network.
 */
final class NodeRig implements AutoCloseable {

  /** How long a node test waits for the controller (scaled); other tests share the machine. */
  static final Duration LONG = Duration.ofSeconds(90);

  final Path key;
  final Path known;
  final NodeLan lan;

  /** The install root of network {@code lan} on every node, e.g. {@code /opt/svcreg-1f2e3d}. */
  final String installRoot = "/opt/svcreg-" + Long.toHexString(random().nextLong());

  /** Makes root's key and (later) the known hosts file in {@code dir}, and the nodes' network. */
  NodeRig(Path dir) {
    key = dir.resolve("id_ed25519");
    OpenSshd.keygen(key);
    known = dir.resolve("known_hosts");
    lan = NodeLan.open();
  }

  /** Starts node {@code name}, root's key authorized; its host keys are not trusted yet. */
  NodeContainer start(String name) {
    return lan.start(name, Path.of(key + ".pub"));
  }

  /**
   * Writes the known hosts file with every host key of {@code nodes} (as {@code ssh-keyscan} prints
   * them), replacing what it held.
   */
  void trust(NodeContainer... nodes) {
    StringBuilder b = new StringBuilder();
    for (NodeContainer n : nodes) {
      b.append(n.knownHostsLines());
    }
    try {
      Files.writeString(known, b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Network {@code lan} of the nodes' subnet (its gateway, this host, reserved) with {@code nodes},
   * each reached as root with the key, checked against the known hosts file, installing into {@link
   * #installRoot}.
   */
  String network(NodeContainer... nodes) {
    StringBuilder b =
        new StringBuilder("apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: lan}\nspec:\n")
            .append("  type: lan\n  subnet: ")
            .append(lan.subnet())
            .append("\n  reserved: [")
            .append(lan.gateway())
            .append("]\n  nodes:\n");
    for (NodeContainer n : nodes) {
      b.append("    - name: ").append(n.name()).append('\n');
      b.append("      address: ").append(n.address()).append('\n');
      b.append("      ssh: {user: root, port: 22, identityFile: ").append(key);
      b.append(", knownHosts: ").append(known).append("}\n");
      b.append("      installRoot: ").append(installRoot).append('\n');
    }
    return b.toString();
  }

  /**
   * Service {@code name} at {@code version} of package {@code packageDir} (in the rig's packages)
   * on {@code node} of network {@code lan}, endpoint {@code http} on 9000, health every second.
   */
  static String service(String name, String version, String packageDir, String node) {
    return "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: "
        + name
        + "}\nspec:\n  version: \""
        + version
        + "\"\n  package: ../packages/"
        + packageDir
        + "\n  network: lan\n  node: "
        + node
        + "\n  endpoints: [{name: http, port: 9000}]\n"
        + "  health: {script: scripts/health.sh, interval: 1s, timeout: 2s, failureThreshold: 2}\n";
  }

  /** The entries of the install root on {@code n}, dot files included (none when it is absent). */
  List<String> installed(NodeContainer n) {
    NodeContainer.Exec e = n.exec("ls", "-A", installRoot);
    String out = e.ok() ? e.stdout().strip() : "";
    return out.isEmpty() ? List.of() : List.of(out.split("\n"));
  }

  /** The command line of process {@code pid} on {@code n}, e.g. {@code sleep 123456789}. */
  static String cmdline(NodeContainer n, long pid) {
    return n.exec("cat", "/proc/" + pid + "/cmdline").stdout().replace('\0', ' ').trim();
  }

  @Override
  public void close() {
    lan.close();
  }

  // ------------------------------------------------------------------ packages

  /** Adds {@code bytes} of incompressible data to a package, as {@code bin/blob}. */
  static void blob(Path pkg, int bytes) {
    byte[] data = new byte[bytes];
    new Random(bytes).nextBytes(data);
    try {
      Files.createDirectories(pkg.resolve("bin"));
      Files.write(pkg.resolve("bin/blob"), data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A number no other process on this host sleeps for: a service's process is findable. */
  static String marker() {
    return Integer.toString(random().nextInt(100_000_000, 999_999_999));
  }

  private static ThreadLocalRandom random() {
    return ThreadLocalRandom.current();
  }

  // ------------------------------------------------------------------ the controller's view

  /** Waits until {@code name} runs with passing health. */
  static ObservedService awaitRunning(Rig rig, String name) {
    return rig.await(
        LONG,
        name,
        "running and healthy",
        o ->
            o.status().phase() == Phase.RUNNING
                && o.status().health().state() == HealthState.PASSING);
  }

  /** The reason of the service's {@code Degraded} condition, or empty. */
  static String degraded(ObservedService o) {
    return o.status().condition(Condition.DEGRADED).map(Condition::reason).orElse("");
  }

  /** The events of {@code type} about {@code service}, in revision order. */
  static List<Event> events(ControllerApp app, String type, String service) {
    return eventsAfter(app, 0, type, service);
  }

  /** The events of {@code type} about {@code service} after {@code revision}. */
  static List<Event> eventsAfter(ControllerApp app, long revision, String type, String service) {
    return journal(app, revision).stream()
        .filter(e -> e.type().equals(type) && e.key().equals("Service/" + service))
        .toList();
  }

  /** The revision of the last event (0 when there is none). */
  static long lastRevision(ControllerApp app) {
    List<Event> all = journal(app, 0);
    return all.isEmpty() ? 0 : all.getLast().revision();
  }

  private static List<Event> journal(ControllerApp app, long revision) {
    return switch (app.store().eventsSince(revision)) {
      case EventsSince.Events e -> e.events();
      case EventsSince.Expired x -> throw new AssertionError("events expired: " + x);
    };
  }

  /** What the events said under {@code field}, e.g. the phases of {@code deployment_progress}. */
  static List<Object> values(List<Event> events, String field) {
    return events.stream().map(e -> data(e).get(field)).toList();
  }

  /** The data of an event. */
  static Map<String, Object> data(Event e) {
    try {
      return Json.mapper().readValue(e.dataJson(), new TypeReference<Map<String, Object>>() {});
    } catch (JsonProcessingException x) {
      throw new AssertionError("bad event data " + e.dataJson(), x);
    }
  }

  // ------------------------------------------------------------------ this host's processes

  /** The pids, as this host sees them, of the processes that run {@code sleep seconds}. */
  static List<Long> sleepers(String seconds) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().command().orElse("").endsWith("/sleep"))
        .filter(p -> List.of(p.info().arguments().orElse(new String[0])).equals(List.of(seconds)))
        .map(ProcessHandle::pid)
        .toList();
  }

  /** The PID namespace of process {@code pid} of this host, e.g. {@code pid:[4026531836]}. */
  static String pidNamespace(long pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid")).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
