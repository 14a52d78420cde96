package io.svcreg.loop;

import io.svcreg.core.Action;
import io.svcreg.core.Lease;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.core.ResourceChange;
import io.svcreg.core.rollout.Planned;
import io.svcreg.schema.Problem;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.Service;
import io.svcreg.store.Store;
import io.svcreg.store.Transaction;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Hands out addresses as the full plan does: in dependency order, then by name, among every service
 * that needs one. When a service's own plan needs a new address, the whole desired state is planned
 * once and every service of the plan that holds no lease in the network it is to be in gets its
 * lease in one commit (a cold start of thousands of services plans once, not once per service);
 * each service then records its address in its own reconcile. Serialized, so that no two plans hand
 * out one address.
 */
final class Ipam {

  private final Store store;
  private final Desired desired;
  private final Committer committer;

  Ipam(Store store, Desired desired, Committer committer) {
    this.store = store;
    this.desired = desired;
    this.committer = committer;
  }

  /**
   * What {@code service}'s own plan gives it ({@code own}, planned on its leases as they are) once
   * it needs no new address: when it still needs one, the addresses the full plan hands out are
   * leased first, to every service without a lease in its network (and to {@code service} in any
   * case). A service whose own plan still needs an address then (the full plan gives it none: a
   * full subnet, a static address another holds) gets what the full plan gives it.
   */
  synchronized Planned allocate(String service, Supplier<Planned> own) {
    // another service's handout may have leased this one its address meanwhile
    Planned first = own.get();
    if (!allocates(first)) {
      return first;
    }
    Plan plan = Planner.plan(desired.specs(), store.observed());
    Transaction tx = new Transaction();
    Set<ResourceKey> leased = new TreeSet<>();
    for (Action a : plan.actions()) {
      if (a instanceof Action.AllocateAddress x
          && (x.service().equals(service)
              || store.leases(x.service()).stream()
                  .noneMatch(l -> l.network().equals(x.network())))) {
        tx.addLease(new Lease(x.network(), x.address(), x.service()));
        leased.add(ResourceKey.network(x.network()));
        if (!x.service().equals(service)) {
          leased.add(ResourceKey.service(x.service()));
        }
      }
    }
    committer.commit(tx);
    leased.forEach(committer::queue);
    Planned again = own.get();
    return allocates(again) ? planned(plan, service) : again;
  }

  /** Whether a plan of one service leases it an address. */
  static boolean allocates(Planned p) {
    return p.actions().stream().anyMatch(a -> a instanceof Action.AllocateAddress);
  }

  /** What {@code plan} gives {@code service}: its actions, its change and its problems. */
  Planned planned(Plan plan, String service) {
    List<Action> actions =
        plan.actions().stream().filter(a -> a.service().equals(service)).toList();
    ResourceKey key = ResourceKey.service(service);
    Optional<ResourceChange> change =
        plan.changes().stream().filter(c -> c.key().equals(key)).findFirst();
    Optional<Service> want = desired.service(service);
    // the planner reports what blocks a service (e.g. a full subnet) at the service's document
    List<Problem> problems =
        want.isEmpty()
            ? List.of()
            : plan.problems().stream()
                .filter(p -> p.location().equals(want.get().origin()))
                .toList();
    return new Planned(actions, change, problems);
  }
}
