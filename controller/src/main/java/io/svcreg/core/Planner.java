package io.svcreg.core;

import io.svcreg.schema.SpecSet;

/**
 * Decides what to do: {@code (desired, observed) -> Plan}. Pure: no I/O, clock, logging or threads;
 * the same inputs give the same plan, whatever the order of resources in them.
 *
 * <h2>Changes</h2>
 *
 * <table class="striped">
 *   <caption>Resource changes (networks and services)</caption>
 *   <thead><tr><th>desired vs observed</th><th>change</th><th>generation</th><th>fields</th></tr>
 *   </thead>
 *   <tbody>
 *   <tr><td>declared, not observed</td><td>{@code +} create</td><td>1</td><td>none</td></tr>
 *   <tr><td>spec hash differs</td><td>{@code ~} update</td><td>observed + 1</td>
 *       <td>changed labels/annotations, then spec fields in spec order ({@code spec.version},
 *       {@code spec.env.LOG_LEVEL}, {@code spec.endpoints}, {@code spec.address}, ...)</td></tr>
 *   <tr><td>same hash, other labels or annotations</td><td>{@code ~} update, no actions</td>
 *       <td>observed</td><td>{@code metadata.labels.tier}, ...</td></tr>
 *   <tr><td>same hash and metadata</td><td>counted in {@code unchanged}</td><td></td><td></td></tr>
 *   <tr><td>observed, not declared</td><td>{@code -} delete</td><td>observed</td><td>none</td></tr>
 *   <tr><td>key in {@link SpecSet#held()} (invalid or defined twice)</td>
 *       <td>unchanged: planned with its last good (observed) spec; never created</td>
 *       <td></td><td></td></tr>
 *   <tr><td>observed, not declared, and {@link SpecSet#complete()} false</td>
 *       <td>unchanged, like held; one problem says deletions are held back</td><td></td>
 *       <td></td></tr>
 *   </tbody>
 * </table>
 *
 * <p>Field values are short strings (at most 60 characters, longer ones cut with "..."). Networks
 * have no actions of their own; a changed subnet, {@code reserved} or node address moves the
 * services whose address it makes unusable (see addresses).
 *
 * <h2>Actions of a service</h2>
 *
 * <p>In this order within the service: stop, release_address, allocate_address, deploy, then one of
 * restart / start / rollback. "Up" means deployed and in phase running, starting or stopping
 * ({@link ServiceStates#isUp}).
 *
 * <table class="striped">
 *   <caption>Actions per service</caption>
 *   <thead><tr><th>situation</th><th>actions</th></tr></thead>
 *   <tbody>
 *   <tr><td>new, state running</td><td>allocate_address, deploy, start</td></tr>
 *   <tr><td>new, state stopped</td><td>allocate_address, deploy</td></tr>
 *   <tr><td>new with a static address</td><td>allocate_address of that address (static
 *       addresses are leased too, so that no two services ever hold one), deploy, start</td></tr>
 *   <tr><td>version or package changed</td><td>deploy (new version), restart (start if it is not
 *       up; nothing more if it should be stopped)</td></tr>
 *   <tr><td>env, endpoints, health, rollout, dependsOn or execution changed, service up</td>
 *       <td>restart, reason names the fields</td></tr>
 *   <tr><td>state running → stopped</td><td>stop</td></tr>
 *   <tr><td>state stopped → running</td><td>start</td></tr>
 *   <tr><td>static address changed (or added)</td><td>release_address old, allocate_address
 *       new, restart if up</td></tr>
 *   <tr><td>static address removed</td><td>nothing: the service keeps its address</td></tr>
 *   <tr><td>network or node changed</td><td>replacement: stop (if up), undeploy (old node),
 *       release_address, allocate_address, deploy (new node), start (if running)</td></tr>
 *   <tr><td>deleted</td><td>stop (if up), undeploy (if deployed), release_address</td></tr>
 *   <tr><td>a dependency gets a new address or first-endpoint port, service up and not
 *       otherwise restarted</td><td>restart (its {@code <DEP>_ADDR} changed)</td></tr>
 *   <tr><td>a lease of a service that is neither declared nor observed</td>
 *       <td>release_address (not while the specs are incomplete)</td></tr>
 *   </tbody>
 * </table>
 *
 * <table class="striped">
 *   <caption>Drift: spec unchanged, observed status differs</caption>
 *   <thead><tr><th>observed</th><th>actions</th></tr></thead>
 *   <tbody>
 *   <tr><td>should run, phase stopped, failed or registered</td><td>start</td></tr>
 *   <tr><td>no deployed version (never deployed, or removed)</td><td>deploy, start if running</td>
 *   </tr>
 *   <tr><td>another version deployed</td><td>deploy, restart (or start)</td></tr>
 *   <tr><td>should be stopped, but up</td><td>stop</td></tr>
 *   <tr><td>lease missing</td><td>allocate_address, restart if up</td></tr>
 *   <tr><td>phase failed, {@code Progressing} reason {@value Reasons#PROGRESS_DEADLINE_EXCEEDED},
 *       {@code autoRollback}, a previous version</td><td>rollback (deployed → previous)</td></tr>
 *   <tr><td>{@code Progressing} or {@code Degraded} reason {@value Reasons#START_LIMIT_REACHED}
 *       or {@value Reasons#ROLLED_BACK} for the current generation</td><td>nothing: the loop
 *       gave up and waits for a spec change</td></tr>
 *   </tbody>
 * </table>
 *
 * <h2>Waves</h2>
 *
 * <p>All actions of one service are in one wave, in order. Teardown (services whose actions only
 * stop, undeploy or release) comes first, dependents before their dependencies; bring-up follows,
 * each service after the bring-up of its dependencies (also indirect ones, through services without
 * actions). Independent services share a wave, ordered by name; waves are numbered from 1. A
 * dependency cycle (normally rejected by validation) is a problem, and the services in or behind it
 * get no actions.
 *
 * <h2>Addresses</h2>
 *
 * <p>A service keeps its lease while it stays in its network and node, the lease is usable (inside
 * the subnet; not network/broadcast, reserved or a node address) and equals its static address if
 * it has one. Otherwise it gets its static address, or the lowest free address of the network: free
 * means not network/broadcast, reserved, a node address (in a {@code local} network without
 * declared nodes: 127.0.0.1, the controller's own host), another service's static address or
 * currently leased (including leases this plan releases: no address is reused in the plan that
 * frees it). Addresses are handed out in dependency order, then by name. A full network, or a
 * static address that is unusable, leased to another service or asked for by two services, is a
 * problem on that service, which then gets no actions; the others proceed.
 *
 * <h2>Problems</h2>
 *
 * <p>{@link Plan#problems()} holds the desired state's problems ({@link SpecSet#problems()}) and
 * the planner's own, sorted by {@link io.svcreg.schema.Problem#ORDER}.
 */
public final class Planner {

  private Planner() {}

  /** The plan that takes {@code observed} to {@code desired}. */
  public static Plan plan(SpecSet desired, ObservedState observed) {
    return new PlanRun(desired, observed).run();
  }
}
