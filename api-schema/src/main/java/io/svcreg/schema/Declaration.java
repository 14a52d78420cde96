package io.svcreg.schema;

import java.util.List;

/**
 * One document of a spec file whose kind and name are known: where its name is written, and the
 * resource when the document is valid on its own. A service whose only problems are its package's
 * (missing, invalid, or contradicting the spec) is <em>provisional</em>: not valid, but its
 * resource (built from the spec's own fields, without the manifest's defaults) takes part in the
 * checks across resources, so those problems are reported in the same pass. A service's node may
 * still be unresolved (it depends on its network); {@link #resolve} builds the final {@link
 * Service} and keeps it, so re-validating an unchanged file reuses it.
 *
 * <p>{@code pos} holds the positions cross-resource problems point at, packed to keep the many
 * declarations of a large spec directory small: one int per {@code P_*} slot (line relative to the
 * document's first line in the high 16 bits, column in the low 16; 0 when absent), then per entry
 * of {@code spec.dependsOn()} its packed position and its index in the written list ({@link
 * #FROM_MANIFEST} set for dependencies that come from the package manifest, located at {@code
 * spec.package}).
 */
final class Declaration {

  static final int P_SPEC = 0;
  static final int P_NETWORK = 1;
  static final int P_NODE = 2;
  static final int P_ADDRESS = 3;
  static final int P_STATE = 4;
  static final int P_PACKAGE = 5;
  static final int P_EXECUTION = 6;
  static final int P_DEPS = 7;

  /** Marks a dependency taken from the package manifest. */
  static final int FROM_MANIFEST = 1 << 31;

  final Kind kind;
  final String name;
  final String file;
  final int line;
  final int column;
  private final boolean nodeGiven;
  private final boolean provisional;
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
  Resource emitted;

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
    this.provisional = false;
    this.pos = pos == null ? null : pack(pos, resource.origin().line());
  }

  /**
   * A copy of {@code d} as first parsed, with {@code asParsed} its resource before resolving, and
   * provisional or not.
   */
  private Declaration(Declaration d, Resource asParsed, boolean provisional) {
    this.kind = d.kind;
    this.name = d.name;
    this.file = d.file;
    this.line = d.line;
    this.column = d.column;
    this.resource = asParsed;
    this.nodeGiven = d.nodeGiven;
    this.provisional = provisional;
    this.pos = d.pos;
  }

  /**
   * The same document declared again (its file re-read, this document unchanged): a new declaration
   * without cross-resource state, whose resource is {@code asParsed}.
   */
  Declaration again(Resource asParsed) {
    return new Declaration(this, asParsed, provisional);
  }

  /** This service declaration made provisional (see the class comment). */
  Declaration provisional() {
    return new Declaration(this, resource, true);
  }

  /** The resource as it is now (for {@link Segments}, right after parsing: as parsed). */
  Resource resource() {
    return resource;
  }

  /**
   * Packs parse-time positions: line/column pairs per slot, then line/column/index triples per
   * dependency (a negative line for one from the manifest).
   */
  private static int[] pack(int[] pairs, int base) {
    int deps = (pairs.length - 2 * P_DEPS) / 3;
    int[] out = new int[P_DEPS + 2 * deps];
    for (int slot = 0; slot < P_DEPS; slot++) {
      out[slot] = packed(pairs[2 * slot], pairs[2 * slot + 1], base);
    }
    for (int i = 0; i < deps; i++) {
      int at = 2 * P_DEPS + 3 * i;
      int line = pairs[at];
      out[P_DEPS + 2 * i] = packed(Math.abs(line), pairs[at + 1], base);
      out[P_DEPS + 2 * i + 1] = line < 0 ? FROM_MANIFEST : pairs[at + 2];
    }
    return out;
  }

  private static int packed(int line, int column, int base) {
    if (line == 0) {
      return 0;
    }
    int rel = Math.min(Math.max(line - base, 0), 0xFFFF);
    return rel << 16 | Math.min(column, 0xFFFF);
  }

  private Location at(int packed) {
    int base = resource.origin().line();
    return new Location(file, base + (packed >>> 16), packed & 0xFFFF);
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
    return resource != null && !provisional;
  }

  /** Whether the declaration takes part in the checks across resources: valid, or provisional. */
  boolean checkable() {
    return resource != null;
  }

  /** The declared kind and name. */
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
    return Problem.at(at(pos[slot]), path, message);
  }

  /** A problem at dependency {@code i} (in {@code spec.dependsOn()} order). */
  Problem problemAtDependency(int i, String message) {
    int where = pos[P_DEPS + 2 * i];
    int index = pos[P_DEPS + 2 * i + 1];
    if (index == FROM_MANIFEST) {
      return Problem.at(
          at(where), "spec.package", message + " (listed in depends_on of the package's manifest)");
    }
    return Problem.at(at(where), FieldPath.index("spec.dependsOn", index), message);
  }

  /** The location stored at {@code slot}. */
  Location locationOf(int slot) {
    return at(pos[slot]);
  }

  /** Whether a valid service fails a cross check (kept by LiveValidator). */
  boolean bad() {
    return checkBad || conflict != null || cycle != null;
  }
}
