package io.svcreg.loop;

import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import io.svcreg.core.Plan;
import io.svcreg.core.ServicePlanner;
import io.svcreg.core.rollout.Decision;
import io.svcreg.core.rollout.Dependency;
import io.svcreg.core.rollout.Intent;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.core.rollout.Outcome;
import io.svcreg.core.rollout.Planned;
import io.svcreg.core.rollout.Probe;
import io.svcreg.core.rollout.Rollout;
import io.svcreg.core.rollout.Rules;
import io.svcreg.core.rollout.Situation;
import io.svcreg.core.rollout.Step;
import io.svcreg.core.rollout.StepResult;
import io.svcreg.core.rollout.Writes;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.Progress;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.Service;
import io.svcreg.store.InventoryEntry;
import io.svcreg.store.Store;
import io.svcreg.store.StoreReadOnly;
import io.svcreg.store.Transaction;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Reconciles one service: reads what the loop knows of it and asks its node ({@link Executor}),
 * lets {@link Rollout} decide, has the executor carry out the steps, and commits every decision
 * through the {@link Committer}. Reads → decides → executes → commits, nothing else.
 */
final class ServiceReconciler {

  private final Store store;
  private final Desired desired;
  private final Executor executor;
  private final Committer committer;
  private final Ipam ipam;
  private final InstantSource clock;
  private final Rules rules;

  /**
   * When each running service's health was last checked: a hint for when the next check is due,
   * kept in memory (after a restart every running service is checked once at once).
   */
  private final Map<String, Instant> lastHealthCheck = new ConcurrentHashMap<>();

  ServiceReconciler(
      Store store,
      Desired desired,
      Executor executor,
      Committer committer,
      Ipam ipam,
      InstantSource clock,
      Rules rules) {
    this.store = store;
    this.desired = desired;
    this.executor = executor;
    this.committer = committer;
    this.ipam = ipam;
    this.clock = clock;
    this.rules = rules;
  }

  /** One reconcile of service {@code name}. */
  Outcome reconcile(String name) {
    Situation s = read(name);
    Carried observed = carryOut(s, Rollout.observe(s, rules));
    if (observed.decision().next().isPresent()) {
      return observed.decision().next().get();
    }
    s = observed.situation();
    Planned planned = plan(s);
    // with the leases as they are now: handing out addresses may have leased one to it
    s = s.withPlanned(planned).withLeases(store.leases(name));
    Carried decided = carryOut(s, Rollout.decide(s, rules));
    if (decided.situation().have().isEmpty()) {
      lastHealthCheck.remove(name);
    }
    return decided.decision().next().orElse(Outcome.DONE);
  }

  /** Everything the loop knows of the service now, and what its node says. */
  private Situation read(String name) {
    ResourceKey key = ResourceKey.service(name);
    Optional<Service> want = desired.service(name);
    boolean held = desired.specs().held().contains(key);
    boolean removable = want.isEmpty() && desired.specs().complete() && !held;
    Optional<ObservedService> have = store.service(name);
    Intent intent = store.intent(name).orElse(Intent.none(name));
    Ledger ledger = store.ledger(name).orElse(Ledger.empty(name));
    Set<String> depNames = new LinkedHashSet<>();
    want.ifPresent(w -> depNames.addAll(w.spec().dependsOn()));
    have.ifPresent(h -> depNames.addAll(h.spec().dependsOn()));
    Map<String, Dependency> deps = new HashMap<>();
    for (String d : depNames) {
      store
          .service(d)
          .ifPresent(
              o ->
                  deps.put(
                      d,
                      new Dependency(
                          d,
                          Committer.ready(o),
                          o.status()
                              .address()
                              .flatMap(ip -> Launch.address(ip, o.spec().endpoints())))));
    }
    Optional<String> removingDependent = Optional.empty();
    List<String> leftovers = List.of();
    if (want.isEmpty()) {
      removingDependent = removingDependent(name);
      // the node the service was on too: its run record is removed with the installs, and may be
      // all that is left there (a controller killed after it deleted the directories)
      leftovers =
          Stream.concat(
                  store.inventory(name).stream().map(InventoryEntry::node),
                  have.map(h -> h.spec().node()).stream())
              .distinct()
              .toList();
    }
    Map<String, Cidr> bound = executor.bound(want, have);
    Probe probe = have.map(h -> executor.probe(name, h, ledger, bound)).orElse(Probe.NOT_ASKED);
    return new Situation(
        name,
        want,
        removable,
        have,
        intent,
        ledger,
        probe,
        Planned.NOTHING,
        deps,
        executor.reachable(want, have),
        removingDependent,
        leftovers,
        Optional.ofNullable(lastHealthCheck.get(name)),
        desired.revision(),
        store.leases(name),
        bound,
        clock.instant());
  }

  /**
   * A recorded service that depends on {@code name} and is being removed too (no longer declared
   * nor held): removals go dependents first, so {@code name} waits until it is gone.
   */
  private Optional<String> removingDependent(String name) {
    for (ObservedService o : store.observed().services()) {
      String other = o.metadata().name();
      ResourceKey k = ResourceKey.service(other);
      if (!other.equals(name)
          && o.spec().dependsOn().contains(name)
          && desired.get(k) == null
          && !desired.specs().held().contains(k)) {
        return Optional.of(other);
      }
    }
    return Optional.empty();
  }

  /**
   * The planner's actions for the service, planned on its own (see {@link ServicePlanner}); when it
   * needs a new address, the full plan hands out addresses first ({@link Ipam}).
   */
  private Planned plan(Situation s) {
    String name = s.name();
    Planned planned = ipam.planned(planOne(s, s.leases()), name);
    if (!Ipam.allocates(planned)) {
      return planned;
    }
    return ipam.allocate(name, () -> ipam.planned(planOne(s, store.leases(name)), name));
  }

  private Plan planOne(Situation s, List<Lease> leases) {
    String net =
        s.want()
            .map(w -> w.spec().network())
            .or(() -> s.have().map(h -> h.spec().network()))
            .orElse("");
    return ServicePlanner.plan(
        desired.specs(),
        s.want().map(Resource.class::cast),
        desired.network(net).map(Resource.class::cast),
        s.name(),
        s.have(),
        store.network(net),
        leases);
  }

  /** A decision carried out, and the situation after it. */
  private record Carried(Decision decision, Situation situation) {}

  /**
   * Carries out {@code d}'s steps, each followed by {@link Rollout#afterStep}; commits what is
   * decided before each step that changes a node, and at the end.
   */
  private Carried carryOut(Situation s, Decision d) {
    String name = s.name();
    Intent read = s.intent();
    Writes pending = d.writes();
    Transaction facts = new Transaction();
    s = s.after(d.writes());
    while (d.hasSteps()) {
      Step step = d.steps().getFirst();
      if (step.changesNode()) {
        flush(name, read, pending, facts);
        pending = Writes.NONE;
        facts = new Transaction();
      }
      StepResult r = executor.run(name, s, step, progress(s, step));
      ran(name, step, r, facts);
      d = Rollout.afterStep(s, step, r, d, rules);
      pending = pending.then(d.writes());
      s = s.after(d.writes());
    }
    flush(name, read, pending, facts);
    return new Carried(d, s);
  }

  private void flush(String name, Intent read, Writes pending, Transaction facts) {
    if (!pending.isEmpty() || !facts.isEmpty()) {
      committer.commit(name, read, pending, facts);
    }
  }

  /** Records what the executor reported beyond the decision: the inventory, the health times. */
  private void ran(String name, Step step, StepResult r, Transaction facts) {
    Instant now = clock.instant();
    switch (step) {
      case Step.Install x -> {
        if (r instanceof StepResult.Installed ok) {
          List<InventoryEntry> mine = store.inventory(name);
          for (InventoryEntry e : mine) {
            if (e.node().equals(x.node()) && ok.removed().contains(e.version())) {
              facts.removeInventory(e);
            }
          }
          adopt(name, x.node(), x.version(), ok.home(), mine, now, facts);
          for (StepResult.Kept k : ok.kept()) {
            adopt(name, x.node(), k.version(), k.path(), mine, now, facts);
          }
        }
      }
      case Step.Uninstall x -> {
        if (r instanceof StepResult.Uninstalled ok) {
          List<InventoryEntry> mine = store.inventory(name);
          Set<String> kept = new HashSet<>();
          for (StepResult.Kept k : ok.kept()) {
            kept.add(k.path());
            adopt(name, x.node(), k.version(), k.path(), mine, now, facts);
          }
          for (InventoryEntry e : mine) {
            if (e.node().equals(x.node()) && !kept.contains(e.path())) {
              facts.removeInventory(e);
            }
          }
        }
      }
      case Step.Start x -> lastHealthCheck.remove(name);
      case Step.Stop x -> lastHealthCheck.remove(name);
      case Step.CheckHealth x -> lastHealthCheck.put(name, now);
      default -> {}
    }
  }

  /**
   * Records the version directory {@code path} of {@code node} in the inventory unless it is there
   * (or is no version's: a kept temporary or moved-aside directory): an install, or a directory
   * kept because processes run from it, which stays the controller's to delete.
   */
  private static void adopt(
      String name,
      String node,
      String version,
      String path,
      List<InventoryEntry> mine,
      Instant now,
      Transaction facts) {
    boolean known = mine.stream().anyMatch(e -> e.node().equals(node) && e.path().equals(path));
    if (!known && !version.isEmpty()) {
      facts.putInventory(new InventoryEntry(name, node, version, path, now));
    }
  }

  /**
   * Turns a deployer's install phases (connect, upload with bytes and percent, verify) into {@code
   * deployment_progress} events of the service.
   */
  private Progress progress(Situation s, Step step) {
    if (!(step instanceof Step.Install x)) {
      return Progress.NONE;
    }
    String key = ResourceKey.service(s.name()).toString();
    return (phase, details) -> {
      if (phase.equals("install")) {
        return; // the install phase's own event was written before the install began
      }
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("service", s.name());
      data.put("phase", phase);
      data.put("version", x.version());
      data.put("node", x.node());
      data.putAll(details);
      try {
        committer.commit(
            new Transaction().event("deployment_progress", key, committer.withRevision(data)));
      } catch (StoreReadOnly e) {
        // a progress report only: the install goes on, and what it installs is recorded after it
        // (or, when that commit is refused too, found installed when it is tried again)
      }
    };
  }
}
