package io.svcreg.core;

import io.svcreg.schema.Endpoint;
import io.svcreg.schema.HealthCheck;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.Node;
import io.svcreg.schema.ServiceSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Field-by-field differences between two versions of a resource, as {@link FieldChange}s with wire
 * paths ({@code spec.env.LOG_LEVEL}) and short values.
 */
final class FieldDiff {

  /** Values longer than this are cut and end in "...". */
  static final int MAX_VALUE_LENGTH = 60;

  /** Paths in spec order; an entry ending in "." stands for every path under it. */
  private static final List<String> SERVICE_ORDER =
      List.of(
          "spec.version",
          "spec.package",
          "spec.network",
          "spec.node",
          "spec.address",
          "spec.execution.type",
          "spec.endpoints",
          "spec.dependsOn",
          "spec.env.",
          "spec.health.script",
          "spec.health.interval",
          "spec.health.timeout",
          "spec.health.failureThreshold",
          "spec.state",
          "spec.rollout.progressDeadline",
          "spec.rollout.autoRollback");

  private static final List<String> NETWORK_ORDER =
      List.of("spec.type", "spec.subnet", "spec.reserved", "spec.nodes.", "spec.wireguard.");

  private static final List<String> NODE_ORDER =
      List.of(
          "address", "ssh.user", "ssh.port", "ssh.identityFile", "ssh.knownHosts", "installRoot");

  private static final List<String> METADATA_ORDER =
      List.of("metadata.labels.", "metadata.annotations.");

  private FieldDiff() {}

  /** The changed fields of a service spec. */
  static List<FieldChange> service(ServiceSpec old, ServiceSpec now) {
    return diff(
        flatten(old),
        flatten(now),
        byOrder(SERVICE_ORDER).thenComparing(Comparator.naturalOrder()));
  }

  /** The changed fields of a network spec. */
  static List<FieldChange> network(NetworkSpec old, NetworkSpec now) {
    return diff(
        flatten(old), flatten(now), byOrder(NETWORK_ORDER).thenComparing(FieldDiff::nodeOrder));
  }

  /** The changed labels and annotations. */
  static List<FieldChange> metadata(Metadata old, Metadata now) {
    return diff(
        flatten(old),
        flatten(now),
        byOrder(METADATA_ORDER).thenComparing(Comparator.naturalOrder()));
  }

  /** A service spec as path/value pairs; absent and empty fields are left out. */
  static Map<String, String> flatten(ServiceSpec s) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("spec.version", s.version());
    m.put("spec.package", s.packageRef());
    m.put("spec.network", s.network());
    m.put("spec.node", s.node());
    s.address().ifPresent(a -> m.put("spec.address", a.toString()));
    m.put("spec.execution.type", s.execution().wireName());
    if (!s.endpoints().isEmpty()) {
      m.put("spec.endpoints", endpoints(s.endpoints()));
    }
    if (!s.dependsOn().isEmpty()) {
      m.put("spec.dependsOn", String.join(", ", s.dependsOn()));
    }
    s.env().forEach((k, v) -> m.put("spec.env." + k, v));
    s.health().ifPresent(h -> health(h, m));
    m.put("spec.state", s.state().wireName());
    m.put("spec.rollout.progressDeadline", s.rollout().progressDeadline().toString());
    m.put("spec.rollout.autoRollback", Boolean.toString(s.rollout().autoRollback()));
    return m;
  }

  /** Endpoints as {@code name:port/protocol, ...}. */
  static String endpoints(List<Endpoint> endpoints) {
    StringBuilder b = new StringBuilder();
    for (Endpoint e : endpoints) {
      if (!b.isEmpty()) {
        b.append(", ");
      }
      b.append(e.name()).append(':').append(e.port()).append('/').append(e.protocol());
    }
    return b.toString();
  }

  private static void health(HealthCheck h, Map<String, String> m) {
    m.put("spec.health.script", h.script());
    m.put("spec.health.interval", h.interval().toString());
    m.put("spec.health.timeout", h.timeout().toString());
    m.put("spec.health.failureThreshold", Integer.toString(h.failureThreshold()));
  }

  private static Map<String, String> flatten(NetworkSpec s) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("spec.type", s.type().wireName());
    m.put("spec.subnet", s.subnet().toString());
    if (!s.reserved().isEmpty()) {
      m.put(
          "spec.reserved", String.join(", ", s.reserved().stream().map(String::valueOf).toList()));
    }
    for (Node n : s.nodes()) {
      String p = "spec.nodes." + n.name() + ".";
      m.put(p + "address", String.valueOf(n.address()));
      if (n.ssh() != null) {
        m.put(p + "ssh.user", n.ssh().user());
        m.put(p + "ssh.port", Integer.toString(n.ssh().port()));
        m.put(p + "ssh.identityFile", n.ssh().identityFile());
        m.put(p + "ssh.knownHosts", n.ssh().knownHosts());
      }
      m.put(p + "installRoot", n.installRoot());
    }
    s.wireguard().ifPresent(w -> m.put("spec.wireguard.configPath", w.configPath()));
    return m;
  }

  private static Map<String, String> flatten(Metadata md) {
    Map<String, String> m = new LinkedHashMap<>();
    md.labels().forEach((k, v) -> m.put("metadata.labels." + k, v));
    md.annotations().forEach((k, v) -> m.put("metadata.annotations." + k, v));
    return m;
  }

  /** Orders paths by their place in {@code order}, then by name (e.g. env keys). */
  private static Comparator<String> byOrder(List<String> order) {
    return Comparator.comparingInt(
        p -> {
          for (int i = 0; i < order.size(); i++) {
            String o = order.get(i);
            if (o.endsWith(".") ? p.startsWith(o) : p.equals(o)) {
              return i;
            }
          }
          return order.size();
        });
  }

  /** Orders the paths of one node by field, after ordering by node name. */
  private static int nodeOrder(String a, String b) {
    if (!a.startsWith("spec.nodes.") || !b.startsWith("spec.nodes.")) {
      return a.compareTo(b);
    }
    String[] x = a.split("\\.", 4);
    String[] y = b.split("\\.", 4);
    int c = x[2].compareTo(y[2]);
    return c != 0 ? c : Integer.compare(NODE_ORDER.indexOf(x[3]), NODE_ORDER.indexOf(y[3]));
  }

  private static List<FieldChange> diff(
      Map<String, String> old, Map<String, String> now, Comparator<String> order) {
    TreeSet<String> paths = new TreeSet<>(order);
    paths.addAll(old.keySet());
    paths.addAll(now.keySet());
    List<FieldChange> out = new ArrayList<>();
    for (String p : paths) {
      String a = old.get(p);
      String b = now.get(p);
      if (a == null ? b != null : !a.equals(b)) {
        out.add(new FieldChange(p, shortValue(a), shortValue(b)));
      }
    }
    return out;
  }

  /** The value, cut to {@link #MAX_VALUE_LENGTH} characters. */
  static Optional<String> shortValue(String v) {
    if (v == null) {
      return Optional.empty();
    }
    if (v.length() <= MAX_VALUE_LENGTH) {
      return Optional.of(v);
    }
    return Optional.of(v.substring(0, MAX_VALUE_LENGTH - 3) + "...");
  }
}
