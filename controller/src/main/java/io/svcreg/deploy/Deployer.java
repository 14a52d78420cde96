package io.svcreg.deploy;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Ipv4;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Installs, runs and observes the services of one node (as managed processes, systemd units or
 * Docker containers: {@link Launch#execution()}). Every method returns an outcome value and ends
 * within its deadlines; none throws for a failure of the package or the service. Calls for one
 * service must not overlap; different services may be handled in parallel.
 *
 * <p>A version of a service is installed in {@code {installRoot}/{name}-{version}/} (see {@link
 * InstallLayout#directoryName}); its scripts run with the environment of {@link
 * ServiceEnvironment}, in that directory.
 *
 * <p>What runs of a service is recorded on the node in its {@link RunRecord}, replaced before each
 * start and stop ({@code starting}, {@code stopping}) and after it ({@code starting} with the
 * process, {@code running}, {@code stopped}), and deleted after the service is uninstalled. A start
 * whose record cannot be written is not run ({@link DeployReasons#START_FAILED}); a stop runs
 * anyway (its record only lags: the process it names is gone).
 */
public interface Deployer extends AutoCloseable {

  /**
   * Installs {@code version} of {@code service} from {@code packageSource} (a package directory or
   * {@code .tar.gz} on the controller's host), atomically; a no-op when it is already installed
   * with identical content. Keeps the previous version for rollback and removes older ones. A
   * package whose manifest lists {@code requires} that the node does not have ({@link
   * Requirements}) fails with {@link DeployReasons#REQUIREMENT_MISSING} and installs nothing.
   */
  InstallOutcome install(String service, String version, Path packageSource);

  /**
   * {@link #install(String, String, Path)}, reporting its phases to {@code progress} (a deployer
   * with nothing to report but the install itself reports nothing).
   */
  default InstallOutcome install(
      String service, String version, Path packageSource, Progress progress) {
    return install(service, version, packageSource);
  }

  /**
   * Removes every installed version of {@code service} (stop it first; untracked processes of it
   * are stopped here).
   */
  UninstallOutcome uninstall(String service);

  /** The installed versions of {@code service}, most recently installed or started first. */
  List<String> installed(String service);

  /**
   * What of svcreg's is on the node: every install directory with its marker and every run record
   * below its install root (empty lists when the root does not exist).
   *
   * @throws NodeUnavailable when the node cannot be asked
   */
  NodeRecords records();

  /**
   * Starts the installed version of {@code launch} detached, in its own process group. A deployer
   * may return before the start grace period is over ({@link StartOutcome.Started#confirmed()}
   * false); {@link #confirm} then tells whether the process outlived it.
   */
  StartOutcome start(Launch launch);

  /**
   * Whether {@code process}, which {@link #start} started without waiting ({@link
   * StartOutcome.Started#confirmed()} false), still runs now that its start grace period is over:
   * {@link StartOutcome.Started} (confirmed), or {@link StartOutcome.Failed} with reason {@link
   * DeployReasons#EXITED_DURING_START}, its exit code when known and the lines it logged from
   * {@code logOffset}. By default the process is observed.
   */
  default StartOutcome confirm(Launch launch, ProcessRef process, long logOffset) {
    Observation o = observe(launch.service(), launch.version(), Optional.of(process));
    if (o.running()) {
      return new StartOutcome.Started(process, logOffset, true);
    }
    return new StartOutcome.Failed(
        DeployReasons.EXITED_DURING_START,
        "scripts/start.sh of "
            + launch.service()
            + " "
            + launch.version()
            + " exited within its start grace period",
        "");
  }

  /**
   * Stops what runs of {@code service} untracked: a start that ran but whose process was never
   * recorded (the controller was killed in between). By default nothing: a deployer whose {@link
   * #start} does this itself.
   */
  default StopOutcome stopStrays(String service) {
    return new StopOutcome.Stopped(StopStep.NOT_RUNNING);
  }

  /**
   * Stops {@code process}, started from the version {@code launch} names: {@code stop.sh} (with
   * {@code SERVICE_PID}), then SIGTERM, then SIGKILL to its process group, each step bounded by its
   * timeout. A pid that now belongs to another process is left alone ({@link
   * StopStep#NOT_RUNNING}).
   */
  StopOutcome stop(Launch launch, ProcessRef process);

  /**
   * Whether {@code version} of {@code service} is installed and whether {@code process} (if any) is
   * still the same running process.
   */
  Observation observe(String service, String version, Optional<ProcessRef> process);

  /**
   * {@link #observe(String, String, Optional)} of a service run as {@code execution}, and whether
   * {@code address} (when given) is configured on the node ({@link Observation#addressMissing()}).
   * By default a managed process, the address not checked: a deployer whose node needs no
   * configured addresses.
   */
  default Observation observe(
      String service,
      String version,
      Optional<ProcessRef> process,
      Optional<Ipv4> address,
      ExecutionType execution) {
    return observe(service, version, process);
  }

  /**
   * Configures {@code address}, with the prefix of {@code subnet}, on the node's interface that
   * holds {@code subnet} (the one the node reaches the subnet's addresses through, without a
   * gateway), unless it is configured already. By default nothing: the node needs no configured
   * addresses (loopback answers every 127.0.0.0/8 address).
   */
  default AddressOutcome bindAddress(Ipv4 address, Cidr subnet) {
    return new AddressOutcome.Done("");
  }

  /**
   * {@link #bindAddress} of {@code launch}'s address before its start, which is recorded on the
   * node first (its run record, {@code starting} without a process): an address svcreg configures
   * is never on a node without a record of the service it is for, so a store rebuilt from the fleet
   * leases it again. By default {@link #bindAddress} alone: a deployer whose nodes need no
   * configured addresses.
   */
  default AddressOutcome bindForStart(Launch launch, Cidr subnet) {
    return bindAddress(launch.ip(), subnet);
  }

  /**
   * The node's WireGuard interface that holds an address in {@code subnet}, with its public key and
   * its peers' {@code AllowedIPs}; empty when it has none (or no {@code wg}). By default none.
   *
   * @throws NodeUnavailable when the node cannot be asked
   */
  default Optional<WireGuardRoutes.Interface> wireguard(Cidr subnet) {
    return Optional.empty();
  }

  /** Sets the {@code AllowedIPs} of peer {@code key} on the node's WireGuard {@code device}. */
  default AddressOutcome allowPeer(String device, String key, Collection<String> allowed) {
    return new AddressOutcome.Failed(
        DeployReasons.ADDRESS_FAILED, "this node's WireGuard peers cannot be changed");
  }

  /** Removes {@code address} from the node's interfaces (nothing when it is not configured). */
  default AddressOutcome unbindAddress(Ipv4 address, Cidr subnet) {
    return new AddressOutcome.Done("");
  }

  /**
   * Runs the health {@code script} (relative to the install directory) of {@code launch}, killing
   * it and its children after {@code timeout}, then checks that {@code process} (when given) is
   * still the same running process: whatever the script said, a process that is gone (or whose pid
   * now belongs to another process) is a failure with reason {@link DeployReasons#PROCESS_EXITED}.
   */
  HealthResult checkHealth(
      Launch launch, Optional<ProcessRef> process, String script, Duration timeout);

  /** {@link #checkHealth(Launch, Optional, String, Duration)} without a process to check. */
  default HealthResult checkHealth(Launch launch, String script, Duration timeout) {
    return checkHealth(launch, Optional.empty(), script, timeout);
  }

  /** Releases the node's connections (none for the local node). */
  @Override
  default void close() {}
}
