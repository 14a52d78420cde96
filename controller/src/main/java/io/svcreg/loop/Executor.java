package io.svcreg.loop;

import io.svcreg.core.ObservedService;
import io.svcreg.core.ServiceStates;
import io.svcreg.core.rollout.Ledger;
import io.svcreg.core.rollout.Probe;
import io.svcreg.core.rollout.ProcessId;
import io.svcreg.core.rollout.Situation;
import io.svcreg.core.rollout.Step;
import io.svcreg.core.rollout.StepResult;
import io.svcreg.deploy.AddressOutcome;
import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.Deployer;
import io.svcreg.deploy.DirectoryInUse;
import io.svcreg.deploy.HealthResult;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.NodeUnavailable;
import io.svcreg.deploy.Observation;
import io.svcreg.deploy.ProcessRef;
import io.svcreg.deploy.Progress;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.deploy.StopOutcome;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Service;
import io.svcreg.schema.ServiceSpec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Carries out the steps of the loop's decisions on the nodes through their deployers, and asks the
 * nodes what runs; decides nothing. Calls to one remote node are limited to {@value #REMOTE_CALLS}
 * at once (the shells kept open per node); the local node is limited by the loop's own concurrency.
 */
final class Executor {

  /** Calls to one remote node at once. */
  static final int REMOTE_CALLS = 4;

  private static final Set<String> NODE_REASONS =
      Set.of(
          DeployReasons.NODE_UNREACHABLE,
          DeployReasons.HOST_KEY_REFUSED,
          DeployReasons.AUTH_FAILED,
          DeployReasons.CONNECTION_LOST,
          DeployReasons.NODE_TIMEOUT,
          DeployReasons.NODE_NOT_READY);

  private final Desired desired;
  private final Controller.Deployers deployers;
  private final io.svcreg.store.Store store;
  private final Map<String, Semaphore> remoteCalls = new ConcurrentHashMap<>();
  private final WireGuardPeers peers;

  Executor(Desired desired, Controller.Deployers deployers, io.svcreg.store.Store store) {
    this.desired = desired;
    this.deployers = deployers;
    this.store = store;
    this.peers = new WireGuardPeers(deployers);
  }

  /** What makes the members of {@code wireguard} networks route service addresses. */
  WireGuardPeers peers() {
    return peers;
  }

  /** The deployer of {@code node} of {@code network} (declared, or as last recorded). */
  Optional<Deployer> deployer(String network, String node) {
    Optional<NetworkSpec> spec =
        desired
            .network(network)
            .map(Network::spec)
            .or(() -> store.network(network).map(n -> n.spec()));
    return spec.flatMap(t -> deployers.forNode(network, t, node));
  }

  /**
   * The nodes of {@code want} and {@code have} that a deployer reaches, as {@code network/node}.
   */
  Set<String> reachable(Optional<Service> want, Optional<ObservedService> have) {
    Set<String> out = new HashSet<>(2);
    want.ifPresent(w -> add(out, w.spec().network(), w.spec().node()));
    have.ifPresent(
        h -> {
          add(out, h.spec().network(), h.spec().node());
          h.status().node().ifPresent(n -> add(out, h.spec().network(), n));
        });
    return out;
  }

  private void add(Set<String> out, String network, String node) {
    if (deployer(network, node).isPresent()) {
      out.add(network + "/" + node);
    }
  }

  /**
   * The subnets of {@code want}'s and {@code have}'s networks whose addresses svcreg configures on
   * the nodes ({@code lan} and {@code wireguard}), by network.
   */
  Map<String, Cidr> bound(Optional<Service> want, Optional<ObservedService> have) {
    Map<String, Cidr> out = new HashMap<>(2);
    want.ifPresent(w -> addBound(out, w.spec().network()));
    have.ifPresent(h -> addBound(out, h.spec().network()));
    return out;
  }

  private void addBound(Map<String, Cidr> out, String network) {
    spec(network)
        .filter(n -> n.type() == NetworkType.LAN || n.type() == NetworkType.WIREGUARD)
        .ifPresent(n -> out.put(network, n.subnet()));
  }

  /** A network's spec: as declared, or as last recorded. */
  Optional<NetworkSpec> spec(String network) {
    return desired
        .network(network)
        .map(Network::spec)
        .or(() -> store.network(network).map(n -> n.spec()));
  }

  /**
   * Asks the node of a deployed service whether its version is installed and its process runs (and,
   * where svcreg configures addresses on nodes, whether its address is there).
   */
  Probe probe(String name, ObservedService have, Ledger ledger, Map<String, Cidr> bound) {
    Optional<String> version = have.status().deployedVersion();
    String node = have.status().node().orElse(have.spec().node());
    Optional<Deployer> d = deployer(have.spec().network(), node);
    if (version.isEmpty() || d.isEmpty()) {
      return Probe.NOT_ASKED;
    }
    Optional<ProcessRef> ref = processRef(have, ledger);
    Optional<Ipv4> address =
        bound.containsKey(have.spec().network()) ? have.status().address() : Optional.empty();
    try {
      Observation o =
          limited(
              have.spec().network(),
              node,
              () -> d.get().observe(name, version.get(), ref, address, have.spec().execution()));
      return new Probe.Seen(
          o.installed(),
          o.running(),
          o.addressMissing(),
          o.current().map(p -> new Probe.Running(p.pid(), p.startTime())));
    } catch (NodeUnavailable e) {
      return new Probe.Unreachable(e.reason(), e.getMessage());
    }
  }

  /** Carries out {@code step} for service {@code name} in situation {@code s}. */
  StepResult run(String name, Situation s, Step step, Progress progress) {
    return switch (step) {
      case Step.Install x -> {
        Service want = s.want().orElseThrow();
        Deployer d = deployer(want.spec().network(), x.node()).orElseThrow();
        InstallOutcome out =
            limited(
                want.spec().network(),
                x.node(),
                () -> d.install(name, x.version(), packagePath(want), progress));
        yield switch (out) {
          case InstallOutcome.Installed ok ->
              new StepResult.Installed(ok.home(), ok.removed(), kept(ok.kept()));
          case InstallOutcome.Failed f -> new StepResult.Failed(f.reason(), f.message(), "");
        };
      }
      case Step.Start x -> {
        Service want = s.want().orElseThrow();
        Deployer d = deployer(want.spec().network(), x.node()).orElseThrow();
        Launch launch =
            new Launch(
                name,
                x.version(),
                x.address().orElseThrow(),
                want.spec().endpoints(),
                x.dependencies(),
                want.spec().env(),
                want.spec().execution(),
                Optional.ofNullable(s.bound().get(want.spec().network())),
                startOrigin(s.have(), want.specHash(), x.version()));
        yield started(limited(want.spec().network(), x.node(), () -> d.start(launch)));
      }
      case Step.Confirm x -> {
        ObservedService have = s.have().orElseThrow();
        Optional<Deployer> d = deployer(have.spec().network(), x.node());
        if (d.isEmpty()) {
          yield new StepResult.Failed(
              DeployReasons.NODE_UNREACHABLE, "no deployer for node " + x.node(), "");
        }
        ProcessId p = x.process();
        Launch launch = launchOf(have, p.version(), s);
        ProcessRef ref = new ProcessRef(p.pid(), p.startTime());
        yield started(
            limited(
                have.spec().network(),
                x.node(),
                () -> d.get().confirm(launch, ref, p.logOffset())));
      }
      case Step.Stop x -> {
        ObservedService have = s.have().orElseThrow();
        Deployer d = deployer(have.spec().network(), x.node()).orElseThrow();
        Launch launch = launchOf(have, x.version(), s);
        ProcessRef ref = new ProcessRef(x.pid().orElseThrow(), x.startTime());
        StopOutcome out = limited(have.spec().network(), x.node(), () -> d.stop(launch, ref));
        yield switch (out) {
          case StopOutcome.Stopped ok -> new StepResult.Stopped(ok.step().toString());
          case StopOutcome.Failed f -> new StepResult.Failed(f.reason(), f.message(), "");
        };
      }
      case Step.StopStrays x -> {
        String network = s.have().map(h -> h.spec().network()).orElse("");
        Optional<Deployer> d = deployer(network, x.node());
        if (d.isEmpty()) {
          yield StepResult.DONE;
        }
        StopOutcome out = limited(network, x.node(), () -> d.get().stopStrays(name));
        yield switch (out) {
          case StopOutcome.Stopped ok -> StepResult.DONE;
          case StopOutcome.Failed f -> new StepResult.Failed(f.reason(), f.message(), "");
        };
      }
      case Step.Uninstall x -> {
        String network =
            s.have()
                .map(h -> h.spec().network())
                .or(() -> s.want().map(w -> w.spec().network()))
                .orElse("");
        Optional<Deployer> d = deployer(network, x.node());
        if (d.isEmpty()) {
          yield new StepResult.Uninstalled(List.of(), true);
        }
        UninstallOutcome out = limited(network, x.node(), () -> d.get().uninstall(name));
        yield switch (out) {
          case UninstallOutcome.Uninstalled ok ->
              new StepResult.Uninstalled(ok.removed(), false, kept(ok.kept()));
          case UninstallOutcome.Failed f -> new StepResult.Failed(f.reason(), f.message(), "");
        };
      }
      case Step.CheckHealth x -> {
        ObservedService have = s.have().orElseThrow();
        Optional<Deployer> d = deployer(have.spec().network(), x.node());
        if (d.isEmpty()) {
          yield new StepResult.Health(
              StepResult.Health.Kind.NODE_UNAVAILABLE,
              DeployReasons.NODE_UNREACHABLE,
              "no deployer for node " + x.node(),
              "");
        }
        Launch launch = launchOf(have, x.version(), s);
        Optional<ProcessRef> ref = x.pid().map(pid -> new ProcessRef(pid, x.startTime()));
        HealthResult r =
            limited(
                have.spec().network(),
                x.node(),
                () -> d.get().checkHealth(launch, ref, x.script(), x.timeout()));
        yield switch (r) {
          case HealthResult.Passing p ->
              new StepResult.Health(StepResult.Health.Kind.PASSING, "", "", p.output());
          case HealthResult.Failing f ->
              new StepResult.Health(
                  f.reason().equals(DeployReasons.PROCESS_EXITED)
                      ? StepResult.Health.Kind.PROCESS_EXITED
                      : NODE_REASONS.contains(f.reason())
                          ? StepResult.Health.Kind.NODE_UNAVAILABLE
                          : StepResult.Health.Kind.FAILING,
                  f.reason(),
                  f.message(),
                  f.output());
        };
      }
      case Step.Bind x -> {
        String network = s.want().orElseThrow().spec().network();
        Ipv4 address = x.address().orElseThrow();
        Deployer d = deployer(network, x.node()).orElseThrow();
        Optional<Launch> starting = x.version().map(v -> launchOf(s.have().orElseThrow(), v, s));
        AddressOutcome out =
            limited(
                network,
                x.node(),
                () ->
                    starting.isPresent()
                        ? d.bindForStart(starting.get(), x.subnet())
                        : d.bindAddress(address, x.subnet()));
        Optional<NetworkSpec> wireguard =
            spec(network).filter(n -> n.type() == NetworkType.WIREGUARD);
        if (out instanceof AddressOutcome.Done bound && wireguard.isPresent()) {
          AddressOutcome routed = peers.announce(network, wireguard.get(), x.node(), address);
          out = routed instanceof AddressOutcome.Failed ? routed : bound;
        }
        yield bound(out);
      }
      case Step.Unbind x -> {
        Deployer d = deployer(x.network(), x.node()).orElseThrow();
        AddressOutcome out =
            limited(x.network(), x.node(), () -> d.unbindAddress(x.address(), x.subnet()));
        spec(x.network())
            .filter(n -> n.type() == NetworkType.WIREGUARD)
            .ifPresent(n -> peers.withdraw(x.network(), n, x.address()));
        yield bound(out);
      }
      case Step.Release x -> StepResult.DONE;
      case Step.RollBack x -> StepResult.DONE;
    };
  }

  /** The directories a deployer kept because processes run from them, as the loop records them. */
  private static List<StepResult.Kept> kept(List<DirectoryInUse> kept) {
    return kept.stream()
        .map(
            k ->
                new StepResult.Kept(
                    k.version(),
                    k.path(),
                    k.processes().stream()
                        .map(h -> new StepResult.Kept.Holder(h.pid(), h.command(), h.how()))
                        .toList()))
        .toList();
  }

  private static StepResult bound(AddressOutcome out) {
    return switch (out) {
      case AddressOutcome.Done ok -> new StepResult.Bound(ok.device());
      case AddressOutcome.Failed f -> new StepResult.Failed(f.reason(), f.message(), "");
    };
  }

  private static StepResult started(StartOutcome out) {
    return switch (out) {
      case StartOutcome.Started ok ->
          new StepResult.Started(
              ok.process().pid(),
              ok.process().startTime(),
              ok.process().containerId(),
              ok.logOffset(),
              ok.confirmed());
      case StartOutcome.Failed f -> new StepResult.Failed(f.reason(), f.message(), f.logTail());
    };
  }

  /** Runs a call to a node, at most {@value #REMOTE_CALLS} at once to a remote node. */
  private <T> T limited(String network, String node, Supplier<T> call) {
    boolean local =
        desired
            .network(network)
            .map(n -> n.spec().type() == NetworkType.LOCAL)
            .or(() -> store.network(network).map(n -> n.spec().type() == NetworkType.LOCAL))
            .orElse(true);
    if (local) {
      return call.get();
    }
    Semaphore calls =
        remoteCalls.computeIfAbsent(network + "/" + node, k -> new Semaphore(REMOTE_CALLS));
    calls.acquireUninterruptibly();
    try {
      return call.get();
    } finally {
      calls.release();
    }
  }

  /** The recorded process of a service: its pid from the status, its start time from the ledger. */
  static Optional<ProcessRef> processRef(ObservedService o, Ledger ledger) {
    Optional<Long> pid = o.status().pid();
    if (pid.isEmpty()) {
      return Optional.empty();
    }
    Instant started =
        ledger
            .process()
            .filter(p -> p.pid() == pid.get())
            .map(ProcessId::startTime)
            .orElse(Instant.EPOCH);
    return Optional.of(new ProcessRef(pid.get(), started));
  }

  private static Path packagePath(Service want) {
    Path file = Path.of(want.origin().file()).toAbsolutePath();
    return file.getParent().resolve(want.spec().packageRef()).normalize();
  }

  /**
   * Who starts {@code version} of a service recorded as {@code have}, for the spec {@code
   * specHash}: {@link #origin}, with the generation that spec gets once it is applied (the recorded
   * one plus one when it is a changed spec, as the planner counts).
   */
  private Launch.Origin startOrigin(
      Optional<ObservedService> have, String specHash, String version) {
    Launch.Origin o = origin(have, specHash, version);
    boolean changed = have.isPresent() && !have.get().specHash().equals(specHash);
    return changed
        ? new Launch.Origin(o.controller(), o.generation() + 1, specHash, o.previousVersion())
        : o;
  }

  /**
   * Who launches {@code version} of a service recorded as {@code have}, for the spec {@code
   * specHash}: this controller, the generation it acts on, and the version kept for rollback (as
   * the loop records it once {@code version} is deployed).
   */
  private Launch.Origin origin(Optional<ObservedService> have, String specHash, String version) {
    return new Launch.Origin(
        store.controllerId(),
        have.map(ObservedService::generation).orElse(0L),
        specHash,
        have.flatMap(h -> ServiceStates.previousVersion(h.status(), version)));
  }

  /** What a recorded service's scripts run with, for {@code version}. */
  private Launch launchOf(ObservedService o, String version, Situation s) {
    Ipv4 ip = o.status().address().orElse(Ipv4.of("127.0.0.1"));
    ServiceSpec spec = o.spec();
    List<Endpoint> endpoints = spec.endpoints();
    Map<String, String> deps = new java.util.TreeMap<>();
    for (String dep : spec.dependsOn()) {
      var d = s.dependencies().get(dep);
      if (d != null) {
        d.address().ifPresent(a -> deps.put(dep, a));
      }
    }
    return new Launch(
        o.metadata().name(),
        version,
        ip,
        endpoints,
        deps,
        spec.env(),
        spec.execution(),
        Optional.ofNullable(s.bound().get(spec.network())),
        origin(Optional.of(o), s.ledger().startedFor().orElse(o.specHash()), version));
  }
}
