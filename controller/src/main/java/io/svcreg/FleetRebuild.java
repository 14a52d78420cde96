package io.svcreg;

import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import io.svcreg.core.SvcregException;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.core.rollout.ProcessId;
import io.svcreg.deploy.Deployer;
import io.svcreg.deploy.NodeRecords;
import io.svcreg.deploy.NodeUnavailable;
import io.svcreg.deploy.Observation;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.RunRecord;
import io.svcreg.deploy.local.LocalDeployer;
import io.svcreg.deploy.ssh.RemoteDeployers;
import io.svcreg.deploy.ssh.SshDeployer;
import io.svcreg.schema.Health;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Location;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Node;
import io.svcreg.schema.Phase;
import io.svcreg.schema.RunState;
import io.svcreg.schema.Service;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import io.svcreg.store.InventoryEntry;
import io.svcreg.store.Store;
import io.svcreg.store.StoreRecovery;
import io.svcreg.store.Transaction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code svcreg recover --from-fleet}: a new store rebuilt from the declared specs and what the
 * nodes say of themselves (their install markers and run records). A service whose run record names
 * a process that still runs is adopted as the loop would have recorded its start: same address,
 * process, version and previous version, its lease, its ledger; so the next controller restarts and
 * reinstalls nothing. The rest is reported, not guessed at.
 */
public final class FleetRebuild {

  /** What cannot be read from the nodes, said in every report. */
  public static final String REGISTRY_LOST =
      "published registry entries are not on the nodes and cannot be rebuilt: publish them again";

  /**
   * What a rebuild did.
   *
   * @param store the store's directory
   * @param adopted one line per adopted service
   * @param notRunning one line per service whose run record says it ran (or was starting) and which
   *     no longer runs: recorded with its address and version, for the controller to start
   * @param unaccounted one line per thing found (or not found) that was not adopted
   */
  public record Report(
      Path store, List<String> adopted, List<String> notRunning, List<String> unaccounted) {

    public Report {
      adopted = List.copyOf(adopted);
      notRunning = List.copyOf(notRunning);
      unaccounted = List.copyOf(unaccounted);
    }

    /** Whether everything found was adopted. */
    public boolean complete() {
      return unaccounted.isEmpty();
    }
  }

  /** A node as the rebuild reads it: a label, its deployer, the services declared on it. */
  private record Place(
      String label,
      String node,
      Deployer deployer,
      List<Service> declared,
      List<Network> networks) {

    /** The network of this place whose subnet holds {@code address}. */
    Optional<Network> networkOf(Ipv4 address) {
      return networks.stream().filter(n -> n.spec().subnet().contains(address)).findFirst();
    }
  }

  private FleetRebuild() {}

  /**
   * Rebuilds the store {@code data/store} from the specs in {@code specs} and the nodes they
   * declare ({@code installRoot}: the controller's host's install root, for local networks). Fails
   * when the store opens (nothing to recover) or the specs cannot be read; an unreadable store is
   * moved aside first. The store is written (in one commit) with what was adopted even when
   * something was not.
   */
  public static Report run(Path specs, Path data, Path installRoot, InstantSource clock) {
    SpecSet set = specs(specs);
    Path dir = data.resolve("store").toAbsolutePath().normalize();
    try (Store store = StoreRecovery.emptyStore(dir, clock)) {
      Transaction tx = new Transaction();
      Found found = scan(set, installRoot, tx, clock);
      store.commit(tx);
      StoreRecovery.replaceSnapshot(store, dir);
      return new Report(dir, found.adopted(), found.notRunning(), found.unaccounted());
    }
  }

  /**
   * What a controller with a new store would not know of, from the specs in {@code specs}: one line
   * for each declared service that runs on its node (its run record names a live process; it would
   * be started a second time), and for each the nodes keep the address or the installs of (stopped,
   * its process ended, a start interrupted, or no longer declared; the address could be given
   * again). Nodes that do not answer are left out. Empty when the fleet holds nothing of svcreg's.
   */
  public static List<String> onNodes(Path specs, Path installRoot, InstantSource clock) {
    Found f = scan(specs(specs), installRoot, new Transaction(), clock);
    List<String> all = new ArrayList<>(f.adopted());
    all.addAll(f.notRunning());
    return all;
  }

  /** How a start interrupted before its process was recorded ends its line. */
  private static final String INTERRUPTED =
      "a start was interrupted before its process was recorded; the controller stops what it may"
          + " have left running and starts it";

  /**
   * What the fleet runs of the declared services, as the records a rebuild would write (status
   * running, with node, version, pid and address), and what it could not account for (nodes that
   * did not answer among them).
   */
  public record Live(List<ObservedService> services, List<String> unaccounted) {}

  /** What the fleet runs (see {@link Live}), read from the specs in {@code specs}. */
  public static Live live(Path specs, Path installRoot, InstantSource clock) {
    Found f = scan(specs(specs), installRoot, new Transaction(), clock);
    return new Live(f.services(), f.unaccounted());
  }

  private static SpecSet specs(Path specs) {
    if (!Files.isDirectory(specs)) {
      throw new SvcregException(
          "spec directory " + specs + " does not exist; pass the controller's --specs DIR");
    }
    return SpecLoader.load(List.of(specs));
  }

  /** What the nodes run and hold of the declared services, adopted into {@code tx}. */
  private record Found(
      List<String> adopted,
      List<String> notRunning,
      List<ObservedService> services,
      List<String> unaccounted) {}

  private static Found scan(SpecSet set, Path installRoot, Transaction tx, InstantSource clock) {
    List<String> unaccounted = new ArrayList<>();
    set.held()
        .forEach(k -> unaccounted.add(k + ": its spec is invalid (svcreg validate), not adopted"));
    try (LocalDeployer local = LocalDeployer.create(installRoot);
        RemoteDeployers remote = new RemoteDeployers(SshDeployer::create)) {
      List<Place> places = places(set, local, remote, unaccounted);
      List<String> adopted = new ArrayList<>();
      List<String> notRunning = new ArrayList<>();
      List<ObservedService> services = new ArrayList<>();
      List<Stopped> stopped = new ArrayList<>();
      Set<String> leased = new HashSet<>(); // network/address
      for (Place place : places) {
        NodeRecords records;
        try {
          records = place.deployer().records();
        } catch (NodeUnavailable e) {
          unaccounted.add(place.label() + " did not answer: " + e.getMessage());
          continue;
        }
        if (place.deployer() == local) {
          // a deleted install root takes the run records with it; its processes still run
          Set<String> recorded = new HashSet<>();
          records.runs().forEach(r -> recorded.add(r.service()));
          List<RunRecord> lost = local.unrecorded(recorded);
          if (!lost.isEmpty()) {
            List<RunRecord> runs = new ArrayList<>(records.runs());
            runs.addAll(lost);
            records = new NodeRecords(records.installs(), runs);
          }
        }
        read(
            place, records, tx, adopted, notRunning, services, unaccounted, stopped, leased, clock);
      }
      // a stopped service keeps the address it was stopped with (it is still configured on its
      // node), unless another record holds the service or the address
      Set<String> recorded = new HashSet<>();
      services.forEach(o -> recorded.add(o.metadata().name()));
      notRunning.forEach(l -> recorded.add(l.substring(0, l.indexOf(' '))));
      for (Stopped st : stopped) {
        RunRecord r = st.record();
        String lease = st.want().spec().network() + "/" + r.address().orElseThrow();
        if (recorded.contains(r.service()) || !leased.add(lease)) {
          continue;
        }
        recorded.add(r.service());
        tx.putService(record(st.place(), st.want(), r, Optional.empty(), false, true, tx));
        notRunning.add(
            at(r, st.place())
                + ", address "
                + r.address().get()
                + ": stopped; the controller starts it as declared");
      }
      return new Found(adopted, notRunning, services, unaccounted);
    }
  }

  /** The nodes to read: the controller's host once (for every local network), each remote node. */
  private static List<Place> places(
      SpecSet set, LocalDeployer host, RemoteDeployers remote, List<String> unaccounted) {
    List<Place> places = new ArrayList<>();
    List<Service> onHost = new ArrayList<>();
    List<Network> local = new ArrayList<>();
    for (Network n : set.networks()) {
      String network = n.metadata().name();
      if (n.spec().type() == NetworkType.LOCAL) {
        onHost.addAll(declared(set, network, Node.LOCAL_NODE));
        local.add(n);
        continue;
      }
      for (Node node : n.spec().nodes()) {
        String label = "node " + node.name() + " of network " + network;
        Optional<Deployer> d = remote.forNode(network, node);
        if (d.isEmpty()) {
          unaccounted.add(label + ": no way to reach it is declared");
          continue;
        }
        places.add(
            new Place(
                label, node.name(), d.get(), declared(set, network, node.name()), List.of(n)));
      }
    }
    places.addFirst(new Place("the controller's host", Node.LOCAL_NODE, host, onHost, local));
    return places;
  }

  private static List<Service> declared(SpecSet set, String network, String node) {
    return set.services().stream()
        .filter(s -> s.spec().network().equals(network) && s.spec().node().equals(node))
        .toList();
  }

  /** A service no longer declared, and its process if it runs: adopted for removal. */
  private record Gone(Service service, Optional<ProcessRef> process) {}

  /** A run record that says its service was stopped, read at {@code place}. */
  private record Stopped(Place place, Service want, RunRecord record) {}

  /**
   * Adopts what runs at {@code place} and records its installs; reports the rest. The records of
   * stopped services go to {@code stopped}; the addresses leased, as {@code network/address}, to
   * {@code leased}.
   */
  private static void read(
      Place place,
      NodeRecords records,
      Transaction tx,
      List<String> adopted,
      List<String> notRunning,
      List<ObservedService> services,
      List<String> unaccounted,
      List<Stopped> stopped,
      Set<String> leased,
      InstantSource clock) {
    Map<String, Service> declared = new LinkedHashMap<>();
    place.declared().forEach(s -> declared.put(s.name(), s));
    // what runs here of a service no longer declared is adopted too, for the controller to stop
    // and remove as it would with its store: never left running without an inventory entry
    Map<String, Gone> removed = new LinkedHashMap<>();
    for (RunRecord r : records.runs()) {
      if (declared.containsKey(r.service()) || r.address().isEmpty()) {
        continue;
      }
      Optional<Network> network = place.networkOf(r.address().get());
      if (network.isEmpty()) {
        continue; // reported with the record below
      }
      Optional<ProcessRef> process;
      try {
        process = r.state() == RunRecord.State.STOPPED ? Optional.empty() : live(place, r);
      } catch (NodeUnavailable e) {
        continue; // reported with the record below
      }
      removed.put(r.service(), new Gone(undeclared(r, network.get(), place.node()), process));
    }
    for (NodeRecords.Installed i : records.installs()) {
      String service = i.marker().service();
      if (!declared.containsKey(service) && !removed.containsKey(service)) {
        unaccounted.add(
            place.label()
                + ": "
                + i.home()
                + " holds "
                + service
                + ", which is not declared there");
        continue;
      }
      tx.putInventory(
          new InventoryEntry(
              service, place.node(), i.marker().version(), i.home(), i.marker().installedAt()));
    }
    for (RunRecord r : records.runs()) {
      Service want = declared.get(r.service());
      String what = place.label() + ": " + r.service() + " " + r.version();
      Gone gone = want == null ? removed.get(r.service()) : null;
      if (want == null && gone == null) {
        if (r.state() != RunRecord.State.STOPPED) {
          unaccounted.add(
              what + " is recorded " + r.state().wireName() + " but not declared there");
        }
        continue;
      }
      if (gone != null) {
        if (gone.process().isPresent()) {
          leased.add(gone.service().spec().network() + "/" + r.address().get());
          adopted.add(
              adopt(place, gone.service(), r, gone.process().get(), tx, services, clock)
                  + "; no longer declared: the controller stops and removes it");
        } else {
          // its address may be another service's by now: no lease
          tx.putService(record(place, gone.service(), r, Optional.empty(), false, false, tx));
          notRunning.add(
              at(r, place)
                  + ": no longer declared and not running: the controller removes what it left");
        }
        continue;
      }
      if (r.address().isEmpty()) {
        if (r.state() != RunRecord.State.STOPPED) {
          unaccounted.add(what + ": its run record has no address");
        }
        continue;
      }
      if (r.state() == RunRecord.State.STOPPED) {
        stopped.add(new Stopped(place, want, r)); // nothing runs: recorded once all are read
        continue;
      }
      Optional<ProcessRef> process;
      try {
        process = live(place, r);
      } catch (NodeUnavailable e) {
        unaccounted.add(what + ": the node did not answer: " + e.getMessage());
        continue;
      }
      leased.add(want.spec().network() + "/" + r.address().get());
      if (process.isEmpty()) {
        boolean interrupted = r.state() == RunRecord.State.STARTING && r.process().isEmpty();
        tx.putService(record(place, want, r, Optional.empty(), interrupted, true, tx));
        notRunning.add(
            at(r, place)
                + ", address "
                + r.address().get()
                + ": "
                + (interrupted
                    ? INTERRUPTED
                    : "the process its run record names (pid "
                        + r.process().map(p -> p.pid()).orElse(0L)
                        + ") no longer runs; the controller starts it"));
        continue;
      }
      // a stop that was under way and did not happen: it runs, as a store would record it too;
      // the next serve decides again whether it is to stop
      adopted.add(
          adopt(place, want, r, process.get(), tx, services, clock)
              + (r.state() == RunRecord.State.STOPPING
                  ? "; a stop was under way and did not happen"
                  : ""));
    }
  }

  /** {@code SERVICE VERSION on PLACE}, how a report line names what {@code r} records. */
  private static String at(RunRecord r, Place place) {
    return r.service() + " " + r.version() + " on " + place.label();
  }

  /** The process {@code r} names (or the unit's main process), when it runs. */
  private static Optional<ProcessRef> live(Place place, RunRecord r) {
    Observation o =
        place.deployer().observe(r.service(), r.version(), r.process(), r.address(), r.execution());
    return o.running() ? o.current().or(r::process) : Optional.empty();
  }

  /**
   * A service that runs as {@code r} says on {@code node} of {@code network} but is no longer
   * declared: what the controller needs to stop and remove it (its package, endpoints and
   * environment are not on the node and not needed for that).
   */
  private static Service undeclared(RunRecord r, Network network, String node) {
    ServiceSpec spec =
        new ServiceSpec(
            r.version(),
            "",
            network.metadata().name(),
            node,
            Optional.empty(),
            r.execution(),
            List.of(),
            List.of(),
            Map.of(),
            Optional.empty(),
            RunState.RUNNING,
            io.svcreg.schema.Rollout.DEFAULT);
    return Service.of(
        new Metadata(r.service(), Map.of(), Map.of()), spec, Location.ofFile("(the node)"));
  }

  /**
   * The record of {@code want} as {@code r} says it was started, its address leased in {@code tx}
   * when {@code lease}: running as {@code process}; without one, stopped (its process ended while
   * no controller watched), or starting without a process when {@code interrupted} (the loop then
   * stops what that start may have left and starts it again).
   */
  private static ObservedService record(
      Place place,
      Service want,
      RunRecord r,
      Optional<ProcessRef> process,
      boolean interrupted,
      boolean lease,
      Transaction tx) {
    Ipv4 ip = r.address().orElseThrow();
    long generation = r.generation() > 0 ? r.generation() : 1;
    // an old record without the hash: taken as started for the declared spec
    String specHash = r.specHash().isEmpty() ? want.specHash() : r.specHash();
    List<String> endpoints =
        want.spec().endpoints().stream().map(e -> ip + ":" + e.port()).toList();
    Phase phase =
        process.isPresent() ? Phase.RUNNING : interrupted ? Phase.STARTING : Phase.STOPPED;
    ServiceStatus status =
        new ServiceStatus(
            phase,
            generation,
            Optional.of(r.version()),
            r.previousVersion(),
            Optional.of(place.node()),
            Optional.of(ip),
            process.isPresent() ? endpoints : List.of(),
            process.map(ProcessRef::pid),
            process.flatMap(ProcessRef::containerId),
            Health.UNKNOWN,
            List.of(),
            Optional.empty(),
            Optional.empty());
    if (lease) {
      tx.addLease(new Lease(want.spec().network(), ip, want.name()));
    }
    return new ObservedService(want.metadata(), generation, specHash, want.spec(), status);
  }

  /**
   * Records {@code want} running as {@code r} says, with {@code process}, as the loop records a
   * started process; returns the summary line.
   */
  private static String adopt(
      Place place,
      Service want,
      RunRecord r,
      ProcessRef process,
      Transaction tx,
      List<ObservedService> services,
      InstantSource clock) {
    String name = want.name();
    Ipv4 ip = r.address().orElseThrow();
    ObservedService adopted = record(place, want, r, Optional.of(process), false, true, tx);
    long generation = adopted.generation();
    String specHash = adopted.specHash();
    List<String> endpoints = adopted.status().endpoints();
    tx.putService(adopted);
    services.add(adopted);
    tx.putLedger(
        Ledger.empty(name)
            .withProcess(
                Optional.of(
                    new ProcessId(
                        process.pid(),
                        process.startTime(),
                        0,
                        true,
                        process.startTime(),
                        r.version(),
                        ip,
                        r.dependencies())))
            .withDeployedFor(specHash)
            .withStartedFor(specHash));
    String key = "Service/" + name;
    Map<String, Object> registered = new LinkedHashMap<>();
    registered.put("service", name);
    registered.put("version", want.spec().version());
    registered.put("generation", generation);
    tx.event("service_registered", key, registered);
    tx.event("endpoint_updated", key, Map.of("endpoints", endpoints));
    return name
        + " "
        + r.version()
        + " on "
        + place.label()
        + ": pid "
        + process.pid()
        + ", address "
        + ip
        + r.previousVersion().map(v -> ", previous version " + v).orElse("")
        + ", generation "
        + generation
        + (r.controller().isEmpty() && r.specHash().isEmpty()
            ? "; it has no run record: found by its environment (SERVICE_HOME below the install"
                + " root)"
            : "");
  }
}
