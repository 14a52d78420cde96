package io.svcreg.core.rollout;

import io.svcreg.core.Lease;
import io.svcreg.schema.Cidr;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One thing the executor does for a service, on its node, as a decision lists it. The executor
 * carries out steps and reports a {@link StepResult}; it decides nothing.
 */
public sealed interface Step {

  /**
   * Whether the step changes something on a node (or in the store): what the loop is about to do is
   * committed before such a step runs.
   */
  boolean changesNode();

  /** Install {@code version} from {@code packageRef} on {@code node}; {@code forced}: again. */
  record Install(String node, String version, String packageRef, boolean forced, Phase restore)
      implements Step {
    @Override
    public boolean changesNode() {
      return true;
    }
  }

  /**
   * Start the installed {@code version} on {@code node} at {@code address}, with the dependencies'
   * {@code ip:port} (both filled in as the start is about to run).
   */
  record Start(
      String node, String version, Optional<Ipv4> address, Map<String, String> dependencies)
      implements Step {
    public Start {
      dependencies = Map.copyOf(dependencies);
    }

    @Override
    public boolean changesNode() {
      return true;
    }
  }

  /** Ask whether the started {@code process} outlived its start grace period. */
  record Confirm(String node, ProcessId process) implements Step {
    @Override
    public boolean changesNode() {
      return false;
    }
  }

  /**
   * Stop the process {@code pid} (started at {@code startTime}) of {@code version}; without a pid,
   * there is nothing to stop.
   */
  record Stop(String node, String version, Optional<Long> pid, Instant startTime) implements Step {
    @Override
    public boolean changesNode() {
      return true;
    }
  }

  /**
   * Stop what runs of the service untracked on {@code node}: a start that ran but was never
   * recorded. Its result is only logged.
   */
  record StopStrays(String node) implements Step {
    @Override
    public boolean changesNode() {
      return true;
    }
  }

  /** Remove every installed version of the service from {@code node}. */
  record Uninstall(String node) implements Step {
    @Override
    public boolean changesNode() {
      return true;
    }
  }

  /** Run the health {@code script} of {@code version}, and check that {@code process} lives. */
  record CheckHealth(
      String node,
      String version,
      String script,
      Duration timeout,
      Optional<Long> pid,
      Instant startTime)
      implements Step {
    @Override
    public boolean changesNode() {
      return false;
    }
  }

  /**
   * Configure the service's {@code address} (filled in as the step is about to run) on {@code
   * node}, with the prefix of {@code subnet}, unless it is there. Before a start of {@code
   * version}, the node records that start first (its run record names the service the address is
   * for); empty when a running service gets its address back.
   */
  record Bind(String node, Optional<Ipv4> address, Cidr subnet, Optional<String> version)
      implements Step {
    @Override
    public boolean changesNode() {
      return true;
    }
  }

  /** Remove {@code address} of {@code network} from {@code node}. */
  record Unbind(String network, String node, Ipv4 address, Cidr subnet) implements Step {
    @Override
    public boolean changesNode() {
      return true;
    }
  }

  /** Give {@code lease} back (a write only: nothing runs on a node). */
  record Release(Lease lease) implements Step {
    @Override
    public boolean changesNode() {
      return false;
    }
  }

  /** Record that {@code from} is rolled back to {@code to} (a write only). */
  record RollBack(String from, String to) implements Step {
    @Override
    public boolean changesNode() {
      return false;
    }
  }
}
