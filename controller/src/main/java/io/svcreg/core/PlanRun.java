package io.svcreg.core;

import io.svcreg.schema.Condition;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Location;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.Network;
import io.svcreg.schema.Phase;
import io.svcreg.schema.Problem;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.RunState;
import io.svcreg.schema.Service;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** One run of {@link Planner#plan}: the working state of a single, pure planning pass. */
final class PlanRun {

  /** How many held-back deletions the problem message names before "and N more". */
  private static final int NAMED_HELD_BACK = 10;

  /** A service as this plan wants it: declared, or kept at its last good (observed) spec. */
  private record Target(
      String name, Metadata metadata, ServiceSpec spec, String specHash, Location origin) {}

  /** What the plan decides for one service name (declared, deleted, or only holding a lease). */
  private static final class Work {
    final String name;
    final ObservedService observed;
    Target target;
    List<Lease> leases = List.of();
    boolean moved;
    boolean specChanged;
    boolean blocked;
    ChangeType change;
    List<FieldChange> fields = List.of();
    Lease kept;
    boolean needsAddress;
    Ipv4 newAddress;
    int depth;
    List<Action> actions = List.of();

    Work(String name, ObservedService observed) {
      this.name = name;
      this.observed = observed;
    }

    Work target(Target t) {
      this.target = t;
      return this;
    }

    void lease(Lease l) {
      if (leases.isEmpty()) {
        leases = List.of(l);
      } else {
        List<Lease> more = new ArrayList<>(leases);
        more.add(l);
        leases = more;
      }
    }

    List<String> dependsOn() {
      if (target != null) {
        return target.spec().dependsOn();
      }
      return observed != null ? observed.spec().dependsOn() : List.of();
    }

    Location origin() {
      return target != null
          ? target.origin()
          : Location.ofFile(ResourceKey.service(name).toString());
    }
  }

  private final SpecSet desired;
  private final ObservedState observed;
  private final Set<ResourceKey> held;
  private final List<ResourceChange> changes = new ArrayList<>();
  private final List<Problem> problems = new ArrayList<>();
  private final List<ResourceKey> heldBack = new ArrayList<>();
  private int unchanged;

  private final Map<String, AddressRules> rules = new HashMap<>();
  private final Map<String, List<Ipv4>> staticsByNetwork = new HashMap<>();
  private final Map<String, AddressPool> pools = new HashMap<>();
  private final Map<String, Work> works;
  private final List<Work> all;
  private DependencyGraph graph;
  private List<Work> sorted;

  PlanRun(SpecSet desired, ObservedState observed) {
    this.desired = desired;
    this.observed = observed;
    this.held = desired.held();
    this.works = new HashMap<>(capacity(desired.resources()) + capacity(observed.services()));
    this.all = new ArrayList<>(desired.resources().size() + observed.services().size());
  }

  /** A run that decides only a few services, with the network rules of {@code base}. */
  private PlanRun(SpecSet desired, Base base, int changed) {
    this.desired = desired;
    this.observed = base.observed;
    this.held = desired.held();
    this.works = new HashMap<>(changed * 2);
    this.all = new ArrayList<>(changed);
    this.rules.putAll(base.run.rules);
  }

  // ---- incremental re-planning

  /**
   * A quiet plan (nothing to change, no actions, no problems of the planner's own, no dependency
   * cycle) and its working state: the starting point of {@link #replan}. Mutable: a quiet re-plan
   * moves it forward.
   */
  static final class Base {
    private final PlanRun run;
    private final ObservedState observed;
    private final int unchanged;
    private final int[] topoPos;
    private List<Resource> resources;
    private int[] seen;
    private int stamp;

    private Base(PlanRun run, Plan plan) {
      this.run = run;
      this.observed = run.observed;
      this.unchanged = plan.unchanged();
      this.resources = run.desired.resources();
      DependencyGraph g = run.graph;
      this.topoPos = new int[g.names.size()];
      for (int t = 0; t < g.ordered; t++) {
        topoPos[g.topo[t]] = t;
      }
      this.seen = new int[g.names.size()];
    }

    /** The observed state the base was planned against. */
    ObservedState observed() {
      return observed;
    }
  }

  /**
   * The base for re-planning after this run's {@code plan}, or null when the plan is not quiet:
   * every service declared, observed, keeping its lease at the address it reports, without changes
   * or actions; no planner problem; all specs readable, none held; no dependency cycle.
   */
  Base base(Plan plan) {
    if (!plan.changes().isEmpty()
        || !plan.waves().isEmpty()
        || !problems.isEmpty()
        || !heldBack.isEmpty()
        || !held.isEmpty()
        || !desired.complete()) {
      return null;
    }
    for (Work w : all) {
      if (w.target == null
          || w.observed == null
          || w.blocked
          || w.kept == null
          || w.moved
          || w.newAddress != null
          || !w.actions.isEmpty()
          || w.observed.status().address().map(a -> !a.equals(w.kept.address())).orElse(false)) {
        return null;
      }
    }
    if (graph().cyclic() > 0) {
      return null;
    }
    return new Base(this, plan);
  }

  /**
   * The plan of {@code desired} against the base's observed state when {@code desired} differs from
   * the base's only in a few services that keep their names, networks, nodes, leases and
   * dependencies (then the other services are as in the base: unchanged, without actions, and
   * nothing they hold moves); null otherwise, for a full plan. Equal to {@code
   * Planner.plan(desired, base.observed())}. A quiet result becomes the new base.
   */
  static Plan replan(Base base, SpecSet desired, int maxChanged) {
    List<Resource> now = desired.resources();
    List<Resource> was = base.resources;
    if (now.size() != was.size() || !desired.complete() || !desired.held().isEmpty()) {
      return null;
    }
    List<Service> changed = new ArrayList<>();
    for (int i = 0; i < now.size(); i++) {
      Resource r = now.get(i);
      Resource old = was.get(i);
      if (r == old) {
        continue;
      }
      if (!(r instanceof Service s)
          || !(old instanceof Service o)
          || !s.name().equals(o.name())
          || changed.size() == maxChanged) {
        return null;
      }
      changed.add(s);
    }
    PlanRun run = new PlanRun(desired, base, changed.size());
    for (Service s : changed) {
      Work before = base.run.works.get(s.name());
      if (before == null || run.works.containsKey(s.name())) {
        return null;
      }
      Work w = run.add(new Work(s.name(), before.observed));
      w.target(new Target(s.name(), s.metadata(), s.spec(), s.specHash(), s.origin()));
      w.leases = before.leases;
      run.decide(w);
      if (w.blocked
          || w.needsAddress
          || w.moved
          || w.change == ChangeType.CREATE
          || !w.dependsOn().equals(before.dependsOn())) {
        return null;
      }
      Optional<Ipv4> address = w.observed.status().address();
      if (address.isPresent() && !address.get().equals(w.kept.address())) {
        return null;
      }
      List<Endpoint> e0 = w.observed.spec().endpoints();
      List<Endpoint> e1 = w.target.spec().endpoints();
      if (w.specChanged && !e0.isEmpty() && !e1.isEmpty() && e0.get(0).port() != e1.get(0).port()) {
        return null;
      }
      w.actions = run.actions(w);
    }
    if (!run.problems.isEmpty()) {
      return null;
    }
    DependencyGraph g = base.run.graph;
    List<Work> ordered = new ArrayList<>(run.all);
    ordered.sort(Comparator.comparing(w -> w.name));
    List<ResourceChange> changes = new ArrayList<>();
    for (Work w : ordered) {
      if (w.change != null) {
        changes.add(run.change(w));
      }
    }
    List<Wave> waves = waves(base, g, ordered);
    List<Problem> allProblems = new ArrayList<>(desired.problems());
    allProblems.sort(Problem.ORDER);
    Plan plan =
        new Plan(changes, base.unchanged - changed.size() + run.unchanged, waves, allProblems);
    if (changes.isEmpty() && waves.isEmpty()) {
      for (Work w : run.all) {
        base.run.works.put(w.name, w);
      }
      base.resources = now;
    }
    return plan;
  }

  /**
   * {@link WaveOrder#order} for a graph where only {@code ordered} (in name order) have actions:
   * the levels count the services with actions along dependency chains.
   */
  private static List<Wave> waves(Base base, DependencyGraph g, List<Work> ordered) {
    List<Work> acting = new ArrayList<>();
    for (Work w : ordered) {
      if (!w.actions.isEmpty()) {
        acting.add(w);
      }
    }
    if (acting.isEmpty()) {
      return List.of();
    }
    int k = acting.size();
    int[] index = new int[k];
    boolean[] teardown = new boolean[k];
    Map<Integer, Integer> slot = new HashMap<>();
    for (int a = 0; a < k; a++) {
      index[a] = java.util.Collections.binarySearch(g.names, acting.get(a).name);
      teardown[a] = acting.get(a).actions.stream().allMatch(WaveOrder::isTeardown);
      slot.put(index[a], a);
    }
    // reach.get(a): the other services with actions that a depends on, directly or not
    List<List<Integer>> reach = new ArrayList<>(k);
    java.util.ArrayDeque<Integer> stack = new java.util.ArrayDeque<>();
    for (int a = 0; a < k; a++) {
      List<Integer> found = new ArrayList<>();
      int stamp = ++base.stamp;
      stack.push(index[a]);
      base.seen[index[a]] = stamp;
      while (!stack.isEmpty()) {
        int i = stack.pop();
        for (int d : g.deps[i]) {
          if (base.seen[d] != stamp) {
            base.seen[d] = stamp;
            Integer b = slot.get(d);
            if (b != null) {
              found.add(b);
            }
            stack.push(d);
          }
        }
      }
      reach.add(found);
    }
    Integer[] byTopo = new Integer[k];
    for (int a = 0; a < k; a++) {
      byTopo[a] = a;
    }
    java.util.Arrays.sort(byTopo, Comparator.comparingInt(a -> base.topoPos[index[a]]));
    int[] up = new int[k];
    for (int a : byTopo) {
      for (int b : reach.get(a)) {
        if (!teardown[b]) {
          up[a] = Math.max(up[a], up[b] + 1);
        }
      }
    }
    int[] down = new int[k];
    for (int t = k - 1; t >= 0; t--) {
      int a = byTopo[t];
      if (teardown[a]) {
        for (int b : reach.get(a)) {
          down[b] = Math.max(down[b], down[a] + 1);
        }
      }
    }
    long n = base.run.works.size();
    java.util.TreeMap<Long, List<Action>> byKey = new java.util.TreeMap<>();
    for (int a = 0; a < k; a++) {
      long key = teardown[a] ? down[a] : n + up[a];
      byKey.computeIfAbsent(key, x -> new ArrayList<>()).addAll(acting.get(a).actions);
    }
    List<Wave> waves = new ArrayList<>(byKey.size());
    for (List<Action> actions : byKey.values()) {
      waves.add(new Wave(waves.size() + 1, actions));
    }
    return waves;
  }

  Plan run() {
    planNetworks();
    // Join desired services, observed services and leases by name: one Work per name.
    for (ObservedService o : observed.services()) {
      String name = o.metadata().name();
      add(new Work(name, o));
    }
    for (Service s : desired.services()) {
      if (held.isEmpty() || !held.contains(s.key())) {
        Target t = new Target(s.name(), s.metadata(), s.spec(), s.specHash(), s.origin());
        Work w = works.get(s.name());
        if (w == null) {
          add(new Work(s.name(), null).target(t));
        } else {
          w.target(t);
        }
      }
    }
    for (Lease l : observed.leases()) {
      Work w = works.get(l.service());
      if (w == null) {
        // a lease of a service the controller does not know (e.g. left by a crash)
        w = add(new Work(l.service(), null));
      }
      w.lease(l);
    }
    for (Work w : all) {
      if (w.target == null && w.observed != null) {
        ResourceKey key = ResourceKey.service(w.name);
        if (held.contains(key) || !desired.complete()) {
          // keeps its last good spec: planned like a declared service with that spec
          ObservedService o = w.observed;
          w.target(
              new Target(
                  w.name, o.metadata(), o.spec(), o.specHash(), Location.ofFile(key.toString())));
          if (!held.contains(key)) {
            heldBack.add(key);
          }
        } else {
          w.change = ChangeType.DELETE;
        }
      }
      if (w.target != null) {
        decide(w);
      }
    }
    if (!desired.complete()) {
      // orphan leases are not released while the specs are incomplete
      works.values().removeIf(w -> w.target == null && w.observed == null);
      all.removeIf(w -> w.target == null && w.observed == null);
    }
    allocate();
    boolean anyActions = false;
    for (Work w : all) {
      w.actions = w.blocked ? List.of() : actions(w);
      anyActions |= !w.actions.isEmpty();
    }
    List<Wave> waves = List.of();
    if (anyActions) {
      restartDependents();
      DependencyGraph g = graph();
      List<WaveOrder.Node> nodes = new ArrayList<>(sorted.size());
      for (Work w : sorted) {
        nodes.add(new WaveOrder.Node(w.name, w.dependsOn(), w.actions, w.origin()));
      }
      WaveOrder.Result ordered = WaveOrder.order(g, nodes);
      waves = ordered.waves();
      problems.addAll(ordered.problems());
    }
    int networkChanges = changes.size();
    for (Work w : sorted != null ? sorted : all) {
      if (w.change != null) {
        changes.add(change(w));
      }
    }
    if (sorted == null) {
      changes.sort(Comparator.comparing(ResourceChange::key));
    } else {
      // services are already in name order, after the networks
      changes.subList(0, networkChanges).sort(Comparator.comparing(ResourceChange::key));
    }
    if (!heldBack.isEmpty()) {
      problems.add(heldBackProblem());
    }
    List<Problem> allProblems = new ArrayList<>(desired.problems());
    allProblems.addAll(problems);
    allProblems.sort(Problem.ORDER);
    return new Plan(changes, unchanged, waves, allProblems);
  }

  private Work add(Work w) {
    works.put(w.name, w);
    all.add(w);
    return w;
  }

  private static int capacity(List<?> list) {
    return list.size() * 4 / 3 + 1;
  }

  // ---- networks

  private void planNetworks() {
    Map<String, Network> declared = new HashMap<>();
    for (Network n : desired.networks()) {
      if (!held.contains(n.key())) {
        declared.put(n.name(), n);
      }
    }
    Map<String, ObservedNetwork> seen = new HashMap<>();
    for (ObservedNetwork o : observed.networks()) {
      seen.put(o.metadata().name(), o);
    }
    for (Network n : declared.values()) {
      rules.put(n.name(), new AddressRules(n.name(), n.spec()));
      ObservedNetwork o = seen.get(n.name());
      if (o == null) {
        changes.add(new ResourceChange(n.key(), ChangeType.CREATE, 1, List.of(), Optional.empty()));
      } else if (!o.specHash().equals(n.specHash())) {
        List<FieldChange> fields = new ArrayList<>(FieldDiff.metadata(o.metadata(), n.metadata()));
        fields.addAll(FieldDiff.network(o.spec(), n.spec()));
        changes.add(
            new ResourceChange(
                n.key(), ChangeType.UPDATE, o.generation() + 1, fields, Optional.empty()));
      } else if (!o.metadata().equals(n.metadata())) {
        changes.add(
            new ResourceChange(
                n.key(),
                ChangeType.UPDATE,
                o.generation(),
                FieldDiff.metadata(o.metadata(), n.metadata()),
                Optional.empty()));
      } else {
        unchanged++;
      }
    }
    for (ObservedNetwork o : observed.networks()) {
      String name = o.metadata().name();
      if (declared.containsKey(name)) {
        continue;
      }
      ResourceKey key = ResourceKey.network(name);
      if (held.contains(key) || !desired.complete()) {
        rules.put(name, new AddressRules(name, o.spec()));
        unchanged++;
        if (!held.contains(key)) {
          heldBack.add(key);
        }
      } else {
        changes.add(
            new ResourceChange(
                key, ChangeType.DELETE, o.generation(), List.of(), Optional.empty()));
      }
    }
  }

  // ---- services: what changes, which address

  private void decide(Work w) {
    Target t = w.target;
    ObservedService o = w.observed;
    ServiceSpec spec = t.spec();
    if (o == null) {
      w.change = ChangeType.CREATE;
    } else {
      w.specChanged = !o.specHash().equals(t.specHash());
      boolean metadataChanged = !o.metadata().equals(t.metadata());
      if (w.specChanged || metadataChanged) {
        w.change = ChangeType.UPDATE;
        List<FieldChange> fields = new ArrayList<>(FieldDiff.metadata(o.metadata(), t.metadata()));
        if (w.specChanged) {
          fields.addAll(FieldDiff.service(o.spec(), spec));
        }
        w.fields = fields;
      } else {
        unchanged++;
      }
      w.moved = !o.spec().network().equals(spec.network()) || !o.spec().node().equals(spec.node());
    }
    AddressRules r = rules.get(spec.network());
    if (r == null) {
      block(w, "spec.network", "network " + spec.network() + " is not declared or not valid");
      return;
    }
    spec.address()
        .ifPresent(
            a -> staticsByNetwork.computeIfAbsent(spec.network(), k -> new ArrayList<>()).add(a));
    if (!w.moved) {
      for (Lease l : w.leases) {
        if (l.network().equals(spec.network())
            && (spec.address().isEmpty() || spec.address().get().equals(l.address()))
            && r.usable(l.address())) {
          w.kept = l;
          break;
        }
      }
    }
    w.needsAddress = w.kept == null;
  }

  private void block(Work w, String path, String why) {
    w.blocked = true;
    problems.add(Problem.at(w.origin(), path, why + "; the service gets no actions"));
  }

  private void allocate() {
    List<Work> needing = new ArrayList<>();
    for (Work w : all) {
      if (w.target != null && w.needsAddress && !w.blocked) {
        needing.add(w);
      }
    }
    if (needing.isEmpty()) {
      return;
    }
    int[] depth = graph().depths();
    for (int i = 0; i < depth.length; i++) {
      sorted.get(i).depth = depth[i];
    }
    needing.sort(Comparator.<Work>comparingInt(w -> w.depth).thenComparing(w -> w.name));
    for (Work w : needing) {
      ServiceSpec spec = w.target.spec();
      if (spec.address().isPresent()) {
        Ipv4 a = spec.address().get();
        AddressPool pool = pool(spec.network());
        Optional<String> bad = pool.claimStatic(a, w.name);
        if (bad.isPresent()) {
          String why = bad.get();
          if (pool.holder(a).map(h -> releases(h, a)).orElse(false)) {
            why += ", which releases it in this plan; it can be used from the next plan on";
          }
          block(w, "spec.address", "static address " + a + " cannot be used: " + why);
        } else {
          w.newAddress = a;
        }
      }
    }
    for (Work w : needing) {
      ServiceSpec spec = w.target.spec();
      if (spec.address().isEmpty()) {
        AddressPool pool = pool(spec.network());
        Optional<Ipv4> a = pool.next();
        if (a.isPresent()) {
          w.newAddress = a.get();
        } else {
          block(w, "spec.network", pool.exhausted());
        }
      }
    }
  }

  /** Whether this plan takes {@code address} away from service {@code holder}. */
  private boolean releases(String holder, Ipv4 address) {
    Work h = works.get(holder);
    return h != null && (h.target == null || h.kept == null || !h.kept.address().equals(address));
  }

  /**
   * The dependency graph of every service name the plan touches, built once when needed: to hand
   * out addresses in dependency order (then by name), and to order actions into waves.
   */
  private DependencyGraph graph() {
    if (graph == null) {
      sorted = new ArrayList<>(all);
      sorted.sort(Comparator.comparing(w -> w.name));
      List<String> names = new ArrayList<>(sorted.size());
      List<List<String>> deps = new ArrayList<>(sorted.size());
      for (Work w : sorted) {
        names.add(w.name);
        deps.add(w.dependsOn());
      }
      graph = new DependencyGraph(names, deps);
    }
    return graph;
  }

  private AddressPool pool(String network) {
    return pools.computeIfAbsent(
        network,
        n -> {
          AddressPool p = new AddressPool(rules.get(n));
          for (Lease l : observed.leases()) {
            if (l.network().equals(n)) {
              p.leased(l.address(), l.service());
            }
          }
          for (Ipv4 a : staticsByNetwork.getOrDefault(n, List.of())) {
            p.staticAddress(a);
          }
          return p;
        });
  }

  // ---- services: actions

  private List<Action> actions(Work w) {
    if (w.target == null) {
      return teardown(w);
    }
    List<Action> out = new ArrayList<>(0);
    ServiceSpec d = w.target.spec();
    String name = w.name;
    ObservedService o = w.observed;
    if (o == null) {
      releaseAllBut(w, out);
      if (w.newAddress != null) {
        out.add(new Action.AllocateAddress(name, d.network(), w.newAddress));
      }
      out.add(new Action.Deploy(name, d.node(), d.version(), d.packageRef()));
      if (d.state() == RunState.RUNNING) {
        out.add(new Action.Start(name, d.node()));
      }
      return out;
    }
    ServiceStatus st = o.status();
    if (isSettled(w, st)) {
      return List.of();
    }
    RunState state = ServiceStates.runState(d, st);
    boolean up = ServiceStates.isUp(st);
    String oldNode = st.node().orElse(o.spec().node());
    Optional<String> deployed = st.deployedVersion();
    if (w.moved) {
      if (up) {
        out.add(new Action.Stop(name, oldNode));
      }
      deployed.ifPresent(v -> out.add(new Action.Undeploy(name, oldNode, v)));
      releaseAllBut(w, out);
      out.add(new Action.AllocateAddress(name, d.network(), w.newAddress));
      out.add(new Action.Deploy(name, d.node(), d.version(), d.packageRef()));
      if (state == RunState.RUNNING) {
        out.add(new Action.Start(name, d.node()));
      }
      return out;
    }
    if (state == RunState.STOPPED && up) {
      out.add(new Action.Stop(name, oldNode));
    }
    releaseAllBut(w, out);
    List<String> reasons = new ArrayList<>(0);
    if (w.newAddress != null) {
      out.add(new Action.AllocateAddress(name, d.network(), w.newAddress));
      reasons.add(
          "address "
              + w.leases.stream()
                  .filter(l -> l.network().equals(d.network()))
                  .findFirst()
                  .map(l -> l.address().toString())
                  .orElse("(none)")
              + " → "
              + w.newAddress);
    }
    boolean gaveUp = !w.specChanged && ServiceStates.gaveUp(o);
    if (!w.specChanged && !gaveUp && state == RunState.RUNNING && rollbackDue(st, d)) {
      out.add(new Action.Rollback(name, d.node(), deployed.get(), st.previousVersion().get()));
      return out;
    }
    boolean packageChanged = w.specChanged && !o.spec().packageRef().equals(d.packageRef());
    boolean versionDrift = deployed.isEmpty() || !deployed.get().equals(d.version());
    boolean deploy = packageChanged || (versionDrift && !gaveUp);
    if (deploy) {
      String from = deployed.orElse(o.spec().version());
      reasons.add(
          0,
          from.equals(d.version())
              ? "package " + o.spec().packageRef() + " → " + d.packageRef()
              : "version " + from + " → " + d.version());
    }
    if (w.specChanged) {
      List<String> fields = configChanges(o.spec(), d);
      if (!fields.isEmpty()) {
        reasons.add("changed " + String.join(", ", fields));
      }
    }
    if (state == RunState.STOPPED) {
      if (deploy) {
        out.add(new Action.Deploy(name, d.node(), d.version(), d.packageRef()));
      }
      return out;
    }
    if (deploy) {
      out.add(new Action.Deploy(name, d.node(), d.version(), d.packageRef()));
    }
    if (up) {
      if (!reasons.isEmpty()) {
        out.add(new Action.Restart(name, d.node(), String.join("; ", reasons)));
      }
    } else if (!gaveUp || !ServiceStates.startLimitReached(st)) {
      // after a rollback, the version rolled back to is started again (e.g. after a crash)
      out.add(new Action.Start(name, d.node()));
    }
    return out;
  }

  /** The common case, checked first: nothing changed and the service is as its spec says. */
  private static boolean isSettled(Work w, ServiceStatus st) {
    ServiceSpec d = w.target.spec();
    return !w.specChanged
        && !w.moved
        && w.newAddress == null
        && w.leases.size() == 1
        && ServiceStates.reached(st, d.version(), ServiceStates.runState(d, st));
  }

  /** Stop (if running), undeploy and release everything of a service that is no longer wanted. */
  private List<Action> teardown(Work w) {
    List<Action> out = new ArrayList<>(3);
    if (w.observed != null) {
      ServiceStatus st = w.observed.status();
      String node = st.node().orElse(w.observed.spec().node());
      if (ServiceStates.isUp(st)) {
        out.add(new Action.Stop(w.name, node));
      }
      st.deployedVersion().ifPresent(v -> out.add(new Action.Undeploy(w.name, node, v)));
    }
    releaseAllBut(w, out);
    return out;
  }

  private static void releaseAllBut(Work w, List<Action> out) {
    for (Lease l : w.leases) {
      if (l != w.kept) {
        out.add(new Action.ReleaseAddress(w.name, l.network(), l.address()));
      }
    }
  }

  /** The changed spec fields (other than version and package) that need a restart to apply. */
  private static List<String> configChanges(ServiceSpec old, ServiceSpec now) {
    List<String> f = new ArrayList<>();
    if (old.execution() != now.execution()) {
      f.add("spec.execution");
    }
    if (!old.endpoints().equals(now.endpoints())) {
      f.add("spec.endpoints");
    }
    if (!old.dependsOn().equals(now.dependsOn())) {
      f.add("spec.dependsOn");
    }
    if (!old.env().equals(now.env())) {
      f.add("spec.env");
    }
    if (!old.health().equals(now.health())) {
      f.add("spec.health");
    }
    if (!old.rollout().equals(now.rollout())) {
      f.add("spec.rollout");
    }
    return f;
  }

  /** Whether a failed rollout of an unchanged spec is to be rolled back. */
  private static boolean rollbackDue(ServiceStatus st, ServiceSpec d) {
    return st.phase() == Phase.FAILED
        && d.state() == RunState.RUNNING
        && d.rollout().autoRollback()
        && st.deployedVersion().isPresent()
        && st.previousVersion().isPresent()
        && !st.previousVersion().equals(st.deployedVersion())
        && st.condition(Condition.PROGRESSING)
            .map(c -> Reasons.PROGRESS_DEADLINE_EXCEEDED.equals(c.reason()))
            .orElse(false);
  }

  /**
   * Running services whose dependency gets a new address or first endpoint are restarted, since
   * they were started with the dependency's old {@code <DEP>_ADDR}.
   */
  private void restartDependents() {
    Map<String, String> moved = new HashMap<>();
    for (Work w : all) {
      if (w.target == null || w.observed == null || w.blocked) {
        continue;
      }
      Optional<Ipv4> before = w.observed.status().address();
      Ipv4 after = w.newAddress != null ? w.newAddress : w.kept != null ? w.kept.address() : null;
      List<String> what = new ArrayList<>(0);
      if (before.isPresent() && after != null && !before.get().equals(after)) {
        what.add("address " + before.get() + " → " + after);
      }
      List<Endpoint> e0 = w.observed.spec().endpoints();
      List<Endpoint> e1 = w.target.spec().endpoints();
      if (w.specChanged && !e0.isEmpty() && !e1.isEmpty() && e0.get(0).port() != e1.get(0).port()) {
        what.add("port " + e0.get(0).port() + " → " + e1.get(0).port());
      }
      if (!what.isEmpty()) {
        moved.put(w.name, String.join(", ", what));
      }
    }
    if (moved.isEmpty()) {
      return;
    }
    for (Work w : all) {
      if (w.target == null
          || w.observed == null
          || w.blocked
          || w.moved
          || ServiceStates.runState(w.target.spec(), w.observed.status()) != RunState.RUNNING
          || !ServiceStates.isUp(w.observed.status())
          || w.actions.stream().anyMatch(PlanRun::restarts)) {
        continue;
      }
      List<String> reasons = new ArrayList<>();
      for (String dep : w.target.spec().dependsOn()) {
        String m = moved.get(dep);
        if (m != null) {
          reasons.add("dependency " + dep + ": " + m);
        }
      }
      if (!reasons.isEmpty()) {
        List<Action> a = new ArrayList<>(w.actions);
        a.add(new Action.Restart(w.name, w.target.spec().node(), String.join("; ", reasons)));
        w.actions = a;
      }
    }
  }

  private static boolean restarts(Action a) {
    return a instanceof Action.Restart
        || a instanceof Action.Start
        || a instanceof Action.Stop
        || a instanceof Action.Rollback;
  }

  // ---- result

  private ResourceChange change(Work w) {
    ResourceKey key = ResourceKey.service(w.name);
    return switch (w.change) {
      case CREATE -> new ResourceChange(key, ChangeType.CREATE, 1, List.of(), address(w));
      case UPDATE ->
          new ResourceChange(
              key,
              ChangeType.UPDATE,
              w.specChanged ? w.observed.generation() + 1 : w.observed.generation(),
              w.fields,
              address(w));
      case DELETE ->
          new ResourceChange(
              key, ChangeType.DELETE, w.observed.generation(), List.of(), Optional.empty());
    };
  }

  /** The address the service holds after the plan. */
  private static Optional<Ipv4> address(Work w) {
    if (w.newAddress != null) {
      return Optional.of(w.newAddress);
    }
    if (w.kept != null) {
      return Optional.of(w.kept.address());
    }
    return w.observed != null ? w.observed.status().address() : Optional.empty();
  }

  private Problem heldBackProblem() {
    heldBack.sort(Comparator.naturalOrder());
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < heldBack.size() && i < NAMED_HELD_BACK; i++) {
      names.append(i == 0 ? "" : ", ").append(heldBack.get(i));
    }
    if (heldBack.size() > NAMED_HELD_BACK) {
      names.append(" and ").append(heldBack.size() - NAMED_HELD_BACK).append(" more");
    }
    String file =
        !desired.problems().isEmpty()
            ? desired.problems().get(0).file()
            : desired.files().isEmpty() ? "specs" : desired.files().get(0);
    return new Problem(
        file,
        0,
        0,
        "",
        "deletions are held back while a spec file cannot be read: "
            + names
            + (heldBack.size() == 1 ? " is" : " are")
            + " not in the specs but kept until every file can be read");
  }
}
