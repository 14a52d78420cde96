package io.svcreg.schema;

import java.util.List;

/**
 * One document of a spec file whose kind and name are known: where its name is written, and the
 * resource when the document is valid on its own. A service's node may still be unresolved (it
 * depends on its network); {@link #resolve} builds the final {@link Service} and keeps it, so
 * re-validating an unchanged file reuses it.
 *
 * <p>{@code pos} holds the positions cross-resource problems point at (line/column pairs at the
 * {@code P_*} slots, then a line/column/written-index triple per entry of {@code spec.dependsOn()};
 * a negative line marks a dependency that comes from the package manifest, located at {@code
 * spec.package}).
 */
final class Declaration {

  static final int P_SPEC = 0;
  static final int P_NETWORK = 2;
  static final int P_NODE = 4;
  static final int P_ADDRESS = 6;
  static final int P_STATE = 8;
  static final int P_PACKAGE = 10;
  static final int P_DEPS = 12;

  final Kind kind;
  final String name;
  final String file;
  final int line;
  final int column;
  private final boolean nodeGiven;
  private final int[] pos;
  private volatile Resource resource;

  // Cross-resource state, kept only by LiveValidator (under the catalog's lock).
  boolean live;
  boolean dup;
  boolean checkBad;
  String node;
  List<Problem> cross;
  Problem conflict;
  LiveValidator.Cycle cycle;

  Declaration(
      Kind kind,
      String name,
      String file,
      int line,
      int column,
      Resource resource,
      boolean nodeGiven,
      int[] pos) {
    this.kind = kind;
    this.name = name;
    this.file = file;
    this.line = line;
    this.column = column;
    this.resource = resource;
    this.nodeGiven = nodeGiven;
    this.pos = pos;
  }

  /** A declaration whose document is invalid: only its key is known. */
  static Declaration invalid(Kind kind, String name, String file, int line, int column) {
    return new Declaration(kind, name, file, line, column, null, false, null);
  }

  /** The same key, marked invalid (e.g. its file has a syntax error further down). */
  Declaration invalidated() {
    return invalid(kind, name, file, line, column);
  }

  /** Whether the document is valid on its own. */
  boolean valid() {
    return resource != null;
  }

  ResourceKey key() {
    return new ResourceKey(kind, name);
  }

  /** The valid network (only for valid network declarations). */
  Network network() {
    return (Network) resource;
  }

  /** The service as parsed; its node is null when not written (resolve it first). */
  Service service() {
    return (Service) resource;
  }

  /** Whether the service names its node. */
  boolean nodeGiven() {
    return nodeGiven;
  }

  /** The final service with {@code node} resolved (built once per node, then reused). */
  Service resolve(String node) {
    Service s = (Service) resource;
    if (s.specHash() != null && node.equals(s.spec().node())) {
      return s;
    }
    ServiceSpec p = s.spec();
    ServiceSpec spec =
        new ServiceSpec(
            p.version(),
            p.packageRef(),
            p.network(),
            node,
            p.address(),
            p.execution(),
            p.endpoints(),
            p.dependsOn(),
            p.env(),
            p.health(),
            p.state(),
            p.rollout());
    Service resolved = Service.of(s.metadata(), spec, s.origin());
    resource = resolved;
    return resolved;
  }

  /** A problem at the position stored at {@code slot}. */
  Problem problemAt(int slot, String path, String message) {
    return new Problem(file, Math.abs(pos[slot]), pos[slot + 1], path, message);
  }

  /** A problem at dependency {@code i} (in {@code spec.dependsOn()} order). */
  Problem problemAtDependency(int i, String message) {
    int at = P_DEPS + 3 * i;
    if (pos[at] < 0) {
      return new Problem(
          file,
          -pos[at],
          pos[at + 1],
          "spec.package",
          message + " (listed in depends_on of the package's manifest)");
    }
    return new Problem(
        file, pos[at], pos[at + 1], FieldPath.index("spec.dependsOn", pos[at + 2]), message);
  }

  /** The location stored at {@code slot}. */
  Location locationOf(int slot) {
    return new Location(file, Math.abs(pos[slot]), pos[slot + 1]);
  }

  /** Whether a valid service fails a cross check (kept by LiveValidator). */
  boolean bad() {
    return checkBad || conflict != null || cycle != null;
  }

  /** Whether a position was recorded at {@code slot}. */
  boolean has(int slot) {
    return pos[slot] != 0;
  }
}
