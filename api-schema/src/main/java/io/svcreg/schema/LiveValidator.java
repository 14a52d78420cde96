package io.svcreg.schema;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks of {@link SpecValidator}, kept up to date as files change: a change re-checks only the
 * declarations it can affect (same name, dependents, same static address, members of a cycle it
 * touches; every service when a network changes) and then assembles the {@link SpecSet}. The result
 * equals {@code SpecValidator.validate} of the same files. Not thread-safe.
 */
final class LiveValidator implements CrossChecks.Index {

  /** A dependency cycle: its members share this object; its problem is keyed by it. */
  static final class Cycle {
    final List<Declaration> members;

    Cycle(List<Declaration> members) {
      this.members = members;
    }
  }

  private final Map<String, ParsedFile> files = new HashMap<>();
  private final List<String> names = new ArrayList<>();
  private final List<Declaration> order = new ArrayList<>();
  private final Map<String, Declaration> networks = new HashMap<>();
  private final Map<String, Declaration> services = new HashMap<>();
  private final Map<ResourceKey, List<Declaration>> duplicates = new HashMap<>();
  private final Map<String, Object> dependents = new HashMap<>();
  private final Map<String, Map<Ipv4, List<Declaration>>> addresses = new HashMap<>();
  private final Map<Object, List<Problem>> problems = new HashMap<>();
  private final Set<ResourceKey> held = new HashSet<>();
  private final Set<Declaration> missingRefs = new HashSet<>();
  private final Map<ResourceKey, Boolean> existedBefore = new HashMap<>();
  // Per touched service name, its vertex in the dependency graph before the change (see shape).
  private final Map<String, Object> shapesBefore = new HashMap<>();
  // The resources each file contributes, in file order; a file whose declarations were re-checked
  // (or whose keys' duplicate state changed) is in stale and has its chunk rebuilt on snapshot.
  private final Map<String, Resource[]> chunks = new HashMap<>();
  private final Set<String> stale = new HashSet<>();
  private int incomplete;

  @Override
  public Declaration network(String name) {
    return networks.get(name);
  }

  @Override
  public Declaration service(String name) {
    return services.get(name);
  }

  @Override
  public boolean isDuplicate(Declaration d) {
    return d.dup;
  }

  @Override
  public Set<String> networkNames() {
    return networks.keySet();
  }

  @Override
  public Set<String> serviceNames() {
    return services.keySet();
  }

  /** The file with this name, or null. */
  ParsedFile file(String name) {
    return files.get(name);
  }

  /** The names of the files, sorted. */
  List<String> fileNames() {
    return Collections.unmodifiableList(names);
  }

  /** The files, in name order. */
  List<ParsedFile> parsedFiles() {
    List<ParsedFile> out = new ArrayList<>(names.size());
    for (String n : names) {
      out.add(files.get(n));
    }
    return out;
  }

  /**
   * Replaces, adds ({@code value} a file) or removes ({@code value} null) the files named by the
   * keys, re-checks what that can affect, and returns the desired state.
   */
  SpecSet apply(Map<String, ParsedFile> changes) {
    Set<Declaration> touched = new LinkedHashSet<>();
    for (Map.Entry<String, ParsedFile> e : changes.entrySet()) {
      ParsedFile old = files.remove(e.getKey());
      if (old != null) {
        removeFile(old, touched);
      }
      if (e.getValue() != null) {
        addFile(e.getValue(), touched);
      }
    }
    update(touched);
    return snapshot();
  }

  private void removeFile(ParsedFile pf, Set<Declaration> touched) {
    int at = Collections.binarySearch(names, pf.file());
    names.remove(at);
    int from = lowerBound(pf.file());
    order.subList(from, from + pf.declarations().size()).clear();
    problems.remove(pf);
    chunks.remove(pf.file());
    stale.remove(pf.file());
    if (!pf.complete()) {
      incomplete--;
    }
    for (Declaration d : pf.declarations()) {
      existedBefore.putIfAbsent(d.key(), true);
      if (d.kind == Kind.SERVICE) {
        shapesBefore.computeIfAbsent(d.name, n -> shape(n, true));
      }
      unregister(d);
      touched.add(d);
    }
  }

  private void addFile(ParsedFile pf, Set<Declaration> touched) {
    files.put(pf.file(), pf);
    int at = Collections.binarySearch(names, pf.file());
    names.add(-at - 1, pf.file());
    order.addAll(lowerBound(pf.file()), pf.declarations());
    stale.add(pf.file());
    if (!pf.problems().isEmpty()) {
      problems.put(pf, pf.problems());
    }
    if (!pf.complete()) {
      incomplete++;
    }
    for (Declaration d : pf.declarations()) {
      existedBefore.putIfAbsent(d.key(), !declarations(d.kind, d.name).isEmpty());
      if (d.kind == Kind.SERVICE) {
        shapesBefore.computeIfAbsent(d.name, n -> shape(n, true));
      }
      register(d);
      touched.add(d);
    }
  }

  /** The first position in {@code order} whose file is not before {@code file}. */
  private int lowerBound(String file) {
    int lo = 0;
    int hi = order.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (order.get(mid).file.compareTo(file) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // ---- indexes -------------------------------------------------------------------------------

  private Map<String, Declaration> byKind(Kind kind) {
    return kind == Kind.NETWORK ? networks : services;
  }

  private void register(Declaration d) {
    d.live = true;
    Declaration first = byKind(d.kind).putIfAbsent(d.name, d);
    if (first != null) {
      duplicates.computeIfAbsent(d.key(), k -> new ArrayList<>(List.of(first))).add(d);
    }
    if (d.kind == Kind.SERVICE && d.checkable()) {
      ServiceSpec spec = d.service().spec();
      for (String dep : spec.dependsOn()) {
        dependents.merge(dep, d, LiveValidator::addTo);
      }
      if (spec.address().isPresent()) {
        addresses
            .computeIfAbsent(spec.network(), k -> new HashMap<>())
            .computeIfAbsent(spec.address().get(), k -> new ArrayList<>(2))
            .add(d);
      }
    }
  }

  private void unregister(Declaration d) {
    d.live = false;
    ResourceKey key = d.key();
    Map<String, Declaration> map = byKind(d.kind);
    List<Declaration> all = duplicates.get(key);
    if (all != null) {
      all.remove(d);
      if (map.get(d.name) == d) {
        map.put(d.name, all.get(0));
      }
      if (all.size() == 1) {
        duplicates.remove(key);
      }
    } else {
      map.remove(d.name, d);
    }
    if (d.kind == Kind.SERVICE && d.checkable()) {
      ServiceSpec spec = d.service().spec();
      for (String dep : spec.dependsOn()) {
        Object v = dependents.get(dep);
        if (v == d) {
          dependents.remove(dep);
        } else if (v instanceof List<?> list) {
          list.remove(d);
          if (list.size() == 1) {
            dependents.put(dep, list.get(0));
          }
        }
      }
      if (spec.address().isPresent()) {
        Map<Ipv4, List<Declaration>> byIp = addresses.get(spec.network());
        List<Declaration> users = byIp.get(spec.address().get());
        users.remove(d);
        if (users.isEmpty()) {
          byIp.remove(spec.address().get());
          if (byIp.isEmpty()) {
            addresses.remove(spec.network());
          }
        }
      }
    }
    problems.remove(d);
    missingRefs.remove(d);
    d.cross = null;
    d.conflict = null;
    d.checkBad = false;
    d.node = null;
  }

  private static Object addTo(Object existing, Object d) {
    if (existing instanceof List<?> list) {
      @SuppressWarnings("unchecked")
      List<Object> l = (List<Object>) list;
      l.add(d);
      return l;
    }
    List<Object> l = new ArrayList<>(2);
    l.add(existing);
    l.add(d);
    return l;
  }

  private List<Declaration> declarations(Kind kind, String name) {
    List<Declaration> all = duplicates.get(new ResourceKey(kind, name));
    if (all != null) {
      return all;
    }
    Declaration d = byKind(kind).get(name);
    return d == null ? List.of() : List.of(d);
  }

  private void addDependents(String name, Collection<Declaration> out) {
    Object v = dependents.get(name);
    if (v instanceof Declaration d) {
      out.add(d);
    } else if (v instanceof List<?> list) {
      for (Object o : list) {
        out.add((Declaration) o);
      }
    }
  }

  private List<Declaration> addressGroup(Declaration d) {
    if (!d.checkable() || d.kind != Kind.SERVICE) {
      return null;
    }
    ServiceSpec spec = d.service().spec();
    if (spec.address().isEmpty()) {
      return null;
    }
    Map<Ipv4, List<Declaration>> byIp = addresses.get(spec.network());
    return byIp == null ? null : byIp.get(spec.address().get());
  }

  // ---- re-checking ---------------------------------------------------------------------------

  private void update(Set<Declaration> touched) {
    Set<Declaration> dirty = new LinkedHashSet<>();
    Set<Declaration> outputs = new HashSet<>();
    Set<ResourceKey> keys = new HashSet<>();
    Set<Declaration> roots = new LinkedHashSet<>();
    boolean all = false;
    for (Declaration t : touched) {
      keys.add(t.key());
      if (t.kind == Kind.NETWORK) {
        all = true;
        continue;
      }
      dirty.addAll(declarations(Kind.SERVICE, t.name));
      addDependents(t.name, dirty);
      List<Declaration> group = addressGroup(t);
      if (group != null) {
        dirty.addAll(group);
      }
      if (t.cycle != null) {
        roots.addAll(t.cycle.members);
      }
    }
    for (ResourceKey key : keys) {
      List<Declaration> all2 = duplicates.get(key);
      for (Declaration d : declarations(key.kind(), key.name())) {
        d.dup = all2 != null;
        outputs.add(d);
      }
      if (all2 != null) {
        problems.put(key, CrossChecks.duplicates(key, all2));
      } else {
        problems.remove(key);
      }
    }
    boolean namesChanged = false;
    for (Map.Entry<ResourceKey, Boolean> e : existedBefore.entrySet()) {
      ResourceKey k = e.getKey();
      namesChanged |= e.getValue() == declarations(k.kind(), k.name()).isEmpty();
    }
    existedBefore.clear();
    // Cycles can only appear or vanish where the dependency graph changed: at names whose single
    // candidate declaration (and its dependencies) is not what it was, and at their dependents.
    for (Map.Entry<String, Object> e : shapesBefore.entrySet()) {
      if (e.getValue() != NO_SHAPE && e.getValue().equals(shape(e.getKey(), false))) {
        continue;
      }
      List<Declaration> around = new ArrayList<>(declarations(Kind.SERVICE, e.getKey()));
      addDependents(e.getKey(), around);
      for (Declaration d : around) {
        if (d.live && CrossChecks.candidate(this, d)) {
          roots.add(d);
        }
      }
    }
    shapesBefore.clear();
    if (namesChanged) {
      // Messages about a missing name suggest declared ones: they change with the set of names.
      dirty.addAll(missingRefs);
    }
    if (all) {
      for (Declaration d : order) {
        if (d.kind == Kind.SERVICE) {
          dirty.add(d);
        }
      }
    }

    Set<Declaration> changed = new LinkedHashSet<>();
    Set<List<Declaration>> groups = new LinkedHashSet<>();
    for (Declaration d : dirty) {
      if (!d.live) {
        continue;
      }
      recheck(d);
      changed.add(d);
      List<Declaration> group = addressGroup(d);
      if (group != null) {
        groups.add(group);
      }
      if (d.cycle != null) {
        roots.addAll(d.cycle.members);
      }
    }
    for (List<Declaration> group : groups) {
      conflicts(group, changed);
    }
    recycle(roots, changed);

    for (Declaration d : changed) {
      if (!d.live) {
        continue;
      }
      outputs.add(d);
      List<Problem> list = new ArrayList<>(2);
      if (d.cross != null) {
        list.addAll(d.cross);
      }
      if (d.conflict != null) {
        list.add(d.conflict);
      }
      if (list.isEmpty()) {
        problems.remove(d);
      } else {
        problems.put(d, list);
      }
      keys.add(d.key());
    }
    for (ResourceKey key : keys) {
      if (isHeld(key)) {
        held.add(key);
      } else {
        held.remove(key);
      }
    }
    // A file's chunk is rebuilt only when a declaration in it now contributes something else.
    for (Declaration d : outputs) {
      if (d.live && output(d) != d.emitted) {
        stale.add(d.file);
      }
    }
  }

  private void recheck(Declaration d) {
    d.node = null;
    d.checkBad = false;
    d.cross = null;
    missingRefs.remove(d);
    if (d.kind != Kind.SERVICE || !CrossChecks.candidate(this, d)) {
      d.conflict = null;
      return;
    }
    List<Problem> out = new ArrayList<>(0);
    String node = CrossChecks.placement(this, d, out);
    boolean ok = CrossChecks.dependencies(this, d, out);
    d.node = node;
    d.checkBad = node == null || !ok;
    d.cross = out.isEmpty() ? null : out;
    if (d.cross != null && refersToMissing(d)) {
      missingRefs.add(d);
    }
  }

  private boolean refersToMissing(Declaration d) {
    ServiceSpec spec = d.service().spec();
    if (networks.get(spec.network()) == null) {
      return true;
    }
    for (String dep : spec.dependsOn()) {
      if (services.get(dep) == null) {
        return true;
      }
    }
    return false;
  }

  private void conflicts(List<Declaration> group, Set<Declaration> changed) {
    List<Declaration> users = new ArrayList<>(group.size());
    for (Declaration d : group) {
      if (CrossChecks.candidate(this, d) && d.node != null) {
        users.add(d);
      }
    }
    users.sort(CrossChecks.BY_PLACE);
    for (Declaration d : group) {
      Problem p =
          users.size() > 1 && users.contains(d) ? CrossChecks.addressConflict(d, users) : null;
      if (p == null ? d.conflict != null : !p.equals(d.conflict)) {
        d.conflict = p;
        changed.add(d);
      }
    }
  }

  /** Recomputes the cycles through {@code roots} (and through any cycle they reach). */
  private void recycle(Set<Declaration> roots, Set<Declaration> changed) {
    if (roots.isEmpty()) {
      return;
    }
    Set<Declaration> start = new LinkedHashSet<>(roots);
    Components found;
    while (true) {
      found = components(this, start);
      boolean closed = true;
      for (Declaration v : found.explored()) {
        if (v.cycle != null) {
          for (Declaration m : v.cycle.members) {
            if (!found.explored().contains(m) && start.add(m)) {
              closed = false;
            }
          }
        }
      }
      if (closed) {
        break;
      }
    }
    // Old cycles among the explored ones are forgotten, and nodes no longer reachable from the
    // roots keep none (their own cycle would have been reached).
    for (Declaration v : start) {
      forgetCycle(v, changed);
    }
    for (Declaration v : found.explored()) {
      forgetCycle(v, changed);
    }
    for (List<Declaration> scc : found.cycles()) {
      Cycle c = new Cycle(scc);
      for (Declaration m : scc) {
        m.cycle = c;
        changed.add(m);
      }
      problems.put(c, List.of(CrossChecks.cycle(this, scc)));
    }
  }

  private void forgetCycle(Declaration v, Set<Declaration> changed) {
    if (v.cycle != null) {
      problems.remove(v.cycle);
      v.cycle = null;
      changed.add(v);
    }
  }

  private static final Object NO_SHAPE = new Object();

  /**
   * The dependencies of the one candidate declaration of service {@code name}; {@link #NO_SHAPE}
   * when there is none, several, or (with {@code cycleFree}) it is in a cycle.
   */
  private Object shape(String name, boolean cycleFree) {
    List<Declaration> decls = declarations(Kind.SERVICE, name);
    if (decls.size() != 1) {
      return NO_SHAPE;
    }
    Declaration d = decls.get(0);
    if (!CrossChecks.candidate(this, d) || (cycleFree && d.cycle != null)) {
      return NO_SHAPE;
    }
    return d.service().spec().dependsOn();
  }

  private boolean isHeld(ResourceKey key) {
    List<Declaration> decls = declarations(key.kind(), key.name());
    if (decls.isEmpty()) {
      return false;
    }
    if (decls.size() > 1) {
      return true;
    }
    Declaration d = decls.get(0);
    return !d.valid() || (d.kind == Kind.SERVICE && d.bad());
  }

  private SpecSet snapshot() {
    for (String f : stale) {
      ParsedFile pf = files.get(f);
      if (pf != null) {
        chunks.put(f, chunk(pf));
      }
    }
    stale.clear();
    int size = 0;
    List<Resource[]> parts = new ArrayList<>(names.size());
    for (String n : names) {
      Resource[] part = chunks.get(n);
      if (part != null && part.length > 0) {
        parts.add(part);
        size += part.length;
      }
    }
    Resource[] all0 = new Resource[size];
    int at = 0;
    for (Resource[] part : parts) {
      System.arraycopy(part, 0, all0, at, part.length);
      at += part.length;
    }
    List<Resource> resources = List.of(all0);
    Set<Problem> all = new LinkedHashSet<>();
    for (List<Problem> list : problems.values()) {
      all.addAll(list);
    }
    return new SpecSet(resources, held, incomplete == 0, new ArrayList<>(all), names);
  }

  /** The resources a file contributes: its valid, unique, checked declarations, resolved. */
  private static Resource[] chunk(ParsedFile pf) {
    List<Declaration> decls = pf.declarations();
    Resource[] out = new Resource[decls.size()];
    int n = 0;
    for (Declaration d : decls) {
      Resource r = output(d);
      d.emitted = r;
      if (r != null) {
        out[n++] = r;
      }
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  /** What a declaration contributes to the desired state: its resolved resource, or null. */
  private static Resource output(Declaration d) {
    if (!d.valid() || d.dup) {
      return null;
    }
    if (d.kind == Kind.NETWORK) {
      return d.network();
    }
    return d.bad() ? null : d.resolve(d.node);
  }

  // ---- cycles --------------------------------------------------------------------------------

  /** The cycles found from some roots, and every declaration explored. */
  record Components(List<List<Declaration>> cycles, Set<Declaration> explored) {}

  /** The dependency cycles among candidates reachable from {@code roots}. */
  static List<List<Declaration>> cycles(CrossChecks.Index ix, Collection<Declaration> roots) {
    return components(ix, roots).cycles();
  }

  /**
   * Strongly connected components (iterative Tarjan) of the candidates' dependency graph reachable
   * from {@code roots}; only components of two or more are returned.
   */
  static Components components(CrossChecks.Index ix, Collection<Declaration> roots) {
    Map<Declaration, int[]> state = new HashMap<>();
    ArrayDeque<Declaration> stack = new ArrayDeque<>();
    ArrayDeque<Frame> calls = new ArrayDeque<>();
    List<List<Declaration>> out = new ArrayList<>();
    int counter = 0;
    for (Declaration root : roots) {
      if (root.kind != Kind.SERVICE
          || state.containsKey(root)
          || !CrossChecks.candidate(ix, root)) {
        continue;
      }
      state.put(root, new int[] {counter, counter, 1});
      counter++;
      stack.push(root);
      calls.push(new Frame(root, CrossChecks.edges(ix, root)));
      while (!calls.isEmpty()) {
        Frame f = calls.peek();
        int[] vs = state.get(f.v);
        if (f.next < f.edges.size()) {
          Declaration w = f.edges.get(f.next++);
          int[] ws = state.get(w);
          if (ws == null) {
            state.put(w, new int[] {counter, counter, 1});
            counter++;
            stack.push(w);
            calls.push(new Frame(w, CrossChecks.edges(ix, w)));
          } else if (ws[2] == 1) {
            vs[1] = Math.min(vs[1], ws[0]);
          }
          continue;
        }
        calls.pop();
        if (vs[1] == vs[0]) {
          List<Declaration> scc = new ArrayList<>();
          Declaration w;
          do {
            w = stack.pop();
            state.get(w)[2] = 0;
            scc.add(w);
          } while (w != f.v);
          if (scc.size() > 1) {
            out.add(scc);
          }
        }
        if (!calls.isEmpty()) {
          int[] ps = state.get(calls.peek().v);
          ps[1] = Math.min(ps[1], vs[1]);
        }
      }
    }
    return new Components(out, state.keySet());
  }

  /** A vertex being explored and its next edge. */
  private static final class Frame {
    final Declaration v;
    final List<Declaration> edges;
    int next;

    Frame(Declaration v, List<Declaration> edges) {
      this.v = v;
      this.edges = edges;
    }
  }
}
