package io.svcreg.loop;

import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import io.svcreg.core.rollout.EventDraft;
import io.svcreg.core.rollout.Intent;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.core.rollout.Note;
import io.svcreg.core.rollout.Writes;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import io.svcreg.schema.ResourceKey;
import io.svcreg.store.Event;
import io.svcreg.store.Store;
import io.svcreg.store.Transaction;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The one place where the loop's decisions reach the store: a decision's {@link Writes} become one
 * commit (with what the executor reported, e.g. the inventory), its notes and state changes are
 * logged, listeners get the events, and the keys the commit concerns are queued (the network of a
 * lease, the dependents of a service that became ready). Operators' commands are recorded here too,
 * so that a command and the loop's consumption of another never overwrite each other.
 */
final class Committer {

  private static final Logger LOG = System.getLogger(Controller.class.getName());

  private final Store store;
  private final Desired desired;
  private final WorkQueue<ResourceKey> queue;
  private final InstantSource clock;
  private final List<Consumer<List<Event>>> listeners = new CopyOnWriteArrayList<>();
  private final Object commandLock = new Object();

  Committer(Store store, Desired desired, WorkQueue<ResourceKey> queue, InstantSource clock) {
    this.store = store;
    this.desired = desired;
    this.queue = queue;
    this.clock = clock;
  }

  void addListener(Consumer<List<Event>> listener) {
    listeners.add(listener);
  }

  InstantSource clock() {
    return clock;
  }

  /** {@code data} with the spec directory's Git commit, when it is a Git work tree. */
  Map<String, Object> withRevision(Map<String, ?> data) {
    Map<String, Object> out = new LinkedHashMap<>(data);
    desired.revision().ifPresent(r -> out.putIfAbsent("sourceRevision", r));
    return out;
  }

  /** Commits {@code tx} and hands its events to the listeners. */
  List<Event> commit(Transaction tx) {
    if (tx.isEmpty()) {
      return List.of();
    }
    List<Event> events = store.commit(tx);
    if (!events.isEmpty()) {
      for (Consumer<List<Event>> l : listeners) {
        l.accept(events);
      }
    }
    return events;
  }

  /**
   * Commits a decision about {@code service}: {@code writes} (its intent merged with any command
   * recorded since {@code intentRead} was read) and {@code extra} (what the executor reported).
   */
  void commit(String service, Intent intentRead, Writes writes, Transaction extra) {
    String key = ResourceKey.service(service).toString();
    Transaction tx = extra;
    Optional<ObservedService> before = store.service(service);
    if (writes.removeService()) {
      tx.removeService(service);
    }
    writes.service().ifPresent(tx::putService);
    writes.ledger().ifPresent(l -> putLedger(tx, l));
    for (Lease l : writes.released()) {
      tx.removeLease(l);
    }
    for (Lease l : writes.leased()) {
      tx.addLease(l);
    }
    for (EventDraft e : writes.events()) {
      tx.event(e.type(), e.key(), withRevision(e.data()));
    }
    if (writes.intent().isPresent() || writes.removeService()) {
      synchronized (commandLock) {
        Intent now = store.intent(service).orElse(Intent.none(service));
        Intent next =
            writes.removeService()
                ? Intent.none(service)
                : merge(intentRead, writes.intent().get(), now);
        if (!next.equals(now)) {
          if (next.isEmpty()) {
            tx.removeIntent(service);
          } else {
            tx.putIntent(next);
          }
        }
        commit(tx);
      }
    } else {
      commit(tx);
    }
    // said once recorded: a decision the store refused was not taken
    for (Note n : writes.notes()) {
      LOG.log(n.warning() ? Level.WARNING : Level.INFO, key + ": " + n.text());
    }
    for (EventDraft e : writes.events()) {
      if (e.type().equals("service_state_changed")) {
        LOG.log(Level.INFO, key + ": " + e.data().get("from") + " → " + e.data().get("to"));
      }
    }
    wake(service, before, writes);
  }

  private static void putLedger(Transaction tx, Ledger l) {
    if (l.isEmpty()) {
      tx.removeLedger(l.service());
    } else {
      tx.putLedger(l);
    }
  }

  /**
   * The intent to write: what a decision changed of the intent it read ({@code read} → {@code
   * decided}), applied to what is stored {@code now} (a command may have come in meanwhile).
   */
  static Intent merge(Intent read, Intent decided, Intent now) {
    return new Intent(
        now.service(),
        decided.heldSince().equals(read.heldSince()) ? now.heldSince() : decided.heldSince(),
        decided.resetStartLimit() == read.resetStartLimit()
            ? now.resetStartLimit()
            : decided.resetStartLimit(),
        decided.restart() == read.restart() ? now.restart() : decided.restart(),
        decided.redeploy() == read.redeploy() ? now.redeploy() : decided.redeploy());
  }

  /**
   * Records an operator's command on {@code service}: its intent changed by {@code change} (which
   * may refuse it by throwing), with an event of {@code type}; the revision of that event.
   */
  long command(
      String service, UnaryOperator<Intent> change, String type, Map<String, Object> data) {
    synchronized (commandLock) {
      Intent now = store.intent(service).orElse(Intent.none(service));
      Intent next = change.apply(now);
      Transaction tx = new Transaction();
      if (!next.equals(now)) {
        if (next.isEmpty()) {
          tx.removeIntent(service);
        } else {
          tx.putIntent(next);
        }
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("service", service);
      d.putAll(data);
      tx.event(type, ResourceKey.service(service).toString(), withRevision(d));
      List<Event> events = commit(tx);
      return events.getLast().revision();
    }
  }

  /** Queues {@code key} for a reconcile. */
  void queue(ResourceKey key) {
    queue.add(key);
  }

  /** Queues what a commit about {@code service} concerns besides the service itself. */
  private void wake(String service, Optional<ObservedService> before, Writes writes) {
    for (Lease l : writes.released()) {
      queue.add(ResourceKey.network(l.network()));
      // a service of this network that waits for an address (full subnet) may get this one now
      for (String other : desired.servicesOf(l.network())) {
        if (!other.equals(service)
            && store.service(other).map(o -> o.status().address().isEmpty()).orElse(false)) {
          queue.add(ResourceKey.service(other));
        }
      }
    }
    for (Lease l : writes.leased()) {
      queue.add(ResourceKey.network(l.network()));
    }
    if (writes.service().isPresent()) {
      boolean wasReady = before.map(Committer::ready).orElse(false);
      if (!wasReady && ready(writes.service().get())) {
        desired.dependents(service).forEach(d -> queue.add(ResourceKey.service(d)));
      }
    }
  }

  /** Whether a service is what its dependents wait for: running and not failing. */
  static boolean ready(ObservedService o) {
    return o.status().phase() == Phase.RUNNING
        && o.status().health().state() != HealthState.FAILING;
  }
}
