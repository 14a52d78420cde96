package io.svcreg.core;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.HealthCheck;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Location;
import io.svcreg.schema.Metadata;
import io.svcreg.schema.Network;
import io.svcreg.schema.NetworkSpec;
import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Node;
import io.svcreg.schema.Phase;
import io.svcreg.schema.Problem;
import io.svcreg.schema.Protocol;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.Rollout;
import io.svcreg.schema.RunState;
import io.svcreg.schema.Service;
import io.svcreg.schema.ServiceSpec;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecDuration;
import io.svcreg.schema.SpecSet;
import io.svcreg.schema.Ssh;
import io.svcreg.schema.WireGuard;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * Test fixtures: builders for services, networks, spec sets and observed states. Defaults: network
 * {@code lan} ({@code 10.0.0.0/24}, node {@code n1} at {@code 10.0.0.254}); services on it, version
 * {@code 1.0.0}, running.
 */
final class Specs {

  static final String LAN = "lan";

  private Specs() {}

  static ServiceBuilder service(String name) {
    return new ServiceBuilder(name);
  }

  static NetworkBuilder network(String name) {
    return new NetworkBuilder(name);
  }

  /** The default network: {@code lan}, 10.0.0.0/24, node n1 at 10.0.0.254. */
  static Network lan() {
    return network(LAN).build();
  }

  static SetBuilder specs(Resource... resources) {
    return new SetBuilder(List.of(resources));
  }

  static SpecSet set(Resource... resources) {
    return specs(resources).build();
  }

  static SpecSet set(List<? extends Resource> resources) {
    return new SetBuilder(List.copyOf(resources)).build();
  }

  /** The state reached from nothing by applying the plan of {@code desired}. */
  static ObservedState converge(SpecSet desired) {
    return converge(desired, ObservedState.EMPTY);
  }

  /** The state reached from {@code before} by applying the plan of {@code desired}. */
  static ObservedState converge(SpecSet desired, ObservedState before) {
    return ObservedStates.converged(desired, before, Planner.plan(desired, before));
  }

  /** {@code state} with the status of service {@code name} changed. */
  static ObservedState withStatus(
      ObservedState state, String name, UnaryOperator<StatusBuilder> change) {
    List<ObservedService> services = new ArrayList<>();
    for (ObservedService s : state.services()) {
      if (s.metadata().name().equals(name)) {
        ServiceStatus st = change.apply(new StatusBuilder(s.status())).build();
        services.add(new ObservedService(s.metadata(), s.generation(), s.specHash(), s.spec(), st));
      } else {
        services.add(s);
      }
    }
    return new ObservedState(state.revision(), state.networks(), services, state.leases());
  }

  /** {@code state} with its leases replaced. */
  static ObservedState withLeases(ObservedState state, List<Lease> leases) {
    return new ObservedState(state.revision(), state.networks(), state.services(), leases);
  }

  static Lease lease(String network, String address, String service) {
    return new Lease(network, Ipv4.of(address), service);
  }

  static Condition condition(String type, String reason) {
    return new Condition(type, ConditionStatus.FALSE, reason, reason, Instant.EPOCH);
  }

  /** Builds a service spec with defaults. */
  static final class ServiceBuilder {
    private final String name;
    private String version = "1.0.0";
    private String packageRef;
    private String network = LAN;
    private String node = "n1";
    private Optional<Ipv4> address = Optional.empty();
    private ExecutionType execution = ExecutionType.MANAGED_PROCESS;
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final List<String> dependsOn = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private Optional<HealthCheck> health = Optional.empty();
    private RunState state = RunState.RUNNING;
    private Rollout rollout = Rollout.DEFAULT;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final Map<String, String> annotations = new LinkedHashMap<>();
    private String file;

    ServiceBuilder(String name) {
      this.name = name;
      this.packageRef = "packages/" + name;
      this.file = name + ".yaml";
    }

    ServiceBuilder version(String v) {
      version = v;
      return this;
    }

    ServiceBuilder packageRef(String p) {
      packageRef = p;
      return this;
    }

    ServiceBuilder network(String n) {
      network = n;
      return this;
    }

    ServiceBuilder node(String n) {
      node = n;
      return this;
    }

    ServiceBuilder address(String a) {
      address = Optional.of(Ipv4.of(a));
      return this;
    }

    ServiceBuilder execution(ExecutionType e) {
      execution = e;
      return this;
    }

    ServiceBuilder endpoint(String n, int port) {
      endpoints.add(new Endpoint(n, port, Protocol.TCP));
      return this;
    }

    ServiceBuilder dependsOn(String... names) {
      dependsOn.addAll(List.of(names));
      return this;
    }

    ServiceBuilder env(String k, String v) {
      env.put(k, v);
      return this;
    }

    ServiceBuilder health(String script) {
      health =
          Optional.of(
              new HealthCheck(
                  script,
                  HealthCheck.DEFAULT_INTERVAL,
                  HealthCheck.DEFAULT_TIMEOUT,
                  HealthCheck.DEFAULT_FAILURE_THRESHOLD));
      return this;
    }

    ServiceBuilder stopped() {
      state = RunState.STOPPED;
      return this;
    }

    ServiceBuilder rollout(String deadline, boolean autoRollback) {
      rollout = new Rollout(SpecDuration.parse(deadline).orElseThrow(), autoRollback);
      return this;
    }

    ServiceBuilder label(String k, String v) {
      labels.put(k, v);
      return this;
    }

    ServiceBuilder annotation(String k, String v) {
      annotations.put(k, v);
      return this;
    }

    ServiceBuilder file(String f) {
      file = f;
      return this;
    }

    ServiceSpec spec() {
      return new ServiceSpec(
          version,
          packageRef,
          network,
          node,
          address,
          execution,
          endpoints,
          dependsOn,
          env,
          health,
          state,
          rollout);
    }

    Service build() {
      return Service.of(new Metadata(name, labels, annotations), spec(), new Location(file, 1, 1));
    }
  }

  /** Builds a network spec with defaults. */
  static final class NetworkBuilder {
    private final String name;
    private NetworkType type = NetworkType.LAN;
    private Cidr subnet = Cidr.of("10.0.0.0/24");
    private final List<Ipv4> reserved = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private boolean defaultNode = true;
    private Optional<WireGuard> wireguard = Optional.empty();
    private final Map<String, String> labels = new LinkedHashMap<>();

    NetworkBuilder(String name) {
      this.name = name;
    }

    NetworkBuilder type(NetworkType t) {
      type = t;
      return this;
    }

    NetworkBuilder subnet(String s) {
      subnet = Cidr.of(s);
      return this;
    }

    NetworkBuilder reserved(String... addresses) {
      for (String a : addresses) {
        reserved.add(Ipv4.of(a));
      }
      return this;
    }

    NetworkBuilder node(String n, String address) {
      if (defaultNode) {
        defaultNode = false;
      }
      nodes.add(
          new Node(
              n,
              Ipv4.of(address),
              new Ssh(
                  "deploy", Ssh.DEFAULT_PORT, Ssh.DEFAULT_IDENTITY_FILE, Ssh.DEFAULT_KNOWN_HOSTS),
              Node.DEFAULT_INSTALL_ROOT));
      return this;
    }

    NetworkBuilder noNodes() {
      defaultNode = false;
      return this;
    }

    NetworkBuilder wireguard(String configPath) {
      type = NetworkType.WIREGUARD;
      wireguard = Optional.of(new WireGuard(configPath));
      return this;
    }

    NetworkBuilder label(String k, String v) {
      labels.put(k, v);
      return this;
    }

    Network build() {
      List<Node> all = new ArrayList<>(nodes);
      if (defaultNode) {
        long broadcast = subnet.broadcast().unsigned();
        all.add(
            new Node(
                "n1",
                new Ipv4((int) (broadcast - 1)),
                new Ssh(
                    "deploy", Ssh.DEFAULT_PORT, Ssh.DEFAULT_IDENTITY_FILE, Ssh.DEFAULT_KNOWN_HOSTS),
                Node.DEFAULT_INSTALL_ROOT));
      }
      return Network.of(
          new Metadata(name, labels, Map.of()),
          new NetworkSpec(type, subnet, reserved, all, wireguard),
          new Location(name + ".yaml", 1, 1));
    }
  }

  /** Builds a spec set. */
  static final class SetBuilder {
    private final List<Resource> resources;
    private final Set<ResourceKey> held = new TreeSet<>();
    private boolean complete = true;
    private final List<Problem> problems = new ArrayList<>();

    SetBuilder(List<Resource> resources) {
      this.resources = resources;
    }

    SetBuilder held(ResourceKey key) {
      held.add(key);
      problems.add(new Problem("broken.yaml", 3, 5, "spec.version", "bad version"));
      return this;
    }

    SetBuilder incomplete(String file) {
      complete = false;
      problems.add(new Problem(file, 1, 1, "", "cannot parse YAML"));
      return this;
    }

    SpecSet build() {
      return new SpecSet(resources, held, complete, problems, List.of());
    }
  }

  /** Changes a service status. */
  static final class StatusBuilder {
    private Phase phase;
    private long observedGeneration;
    private Optional<String> deployed;
    private Optional<String> previous;
    private final ServiceStatus s;
    private List<Condition> conditions;

    StatusBuilder(ServiceStatus s) {
      this.s = s;
      this.phase = s.phase();
      this.observedGeneration = s.observedGeneration();
      this.deployed = s.deployedVersion();
      this.previous = s.previousVersion();
      this.conditions = s.conditions();
    }

    StatusBuilder phase(Phase p) {
      phase = p;
      return this;
    }

    StatusBuilder observedGeneration(long g) {
      observedGeneration = g;
      return this;
    }

    StatusBuilder deployed(String v) {
      deployed = Optional.ofNullable(v);
      return this;
    }

    StatusBuilder previous(String v) {
      previous = Optional.ofNullable(v);
      return this;
    }

    StatusBuilder conditions(Condition... c) {
      conditions = List.of(c);
      return this;
    }

    ServiceStatus build() {
      return new ServiceStatus(
          phase,
          observedGeneration,
          deployed,
          previous,
          s.node(),
          s.address(),
          s.endpoints(),
          s.pid(),
          s.health(),
          conditions,
          s.lastError(),
          s.sourceRevision());
    }
  }
}
