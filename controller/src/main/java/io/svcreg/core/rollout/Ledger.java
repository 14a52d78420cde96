package io.svcreg.core.rollout;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the loop keeps of a service between reconciles, in the store: the process it started, the
 * crashes counted against the start limit (for one spec), the specs it already installed and
 * started (so that a change is carried out once while the service becomes healthy), and the
 * consecutive failed health checks.
 *
 * @param service the service
 * @param process the process the loop started and has not seen stop
 * @param crashSpec the spec hash the crashes were counted for
 * @param crashes when the process died or failed to start, oldest first
 * @param deployedFor the spec hash of the last install this loop carried out
 * @param startedFor the spec hash of the last start this loop carried out
 * @param healthFailures consecutive failed health checks of the running process
 */
public record Ledger(
    String service,
    Optional<ProcessId> process,
    String crashSpec,
    List<Instant> crashes,
    Optional<String> deployedFor,
    Optional<String> startedFor,
    int healthFailures) {

  public Ledger {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(crashSpec, "crashSpec");
    crashes = List.copyOf(crashes);
    Objects.requireNonNull(deployedFor, "deployedFor");
    Objects.requireNonNull(startedFor, "startedFor");
  }

  /** A service the loop has done nothing for. */
  public static Ledger empty(String service) {
    return new Ledger(
        service, Optional.empty(), "", List.of(), Optional.empty(), Optional.empty(), 0);
  }

  /** Whether nothing is kept: the entry can be removed. */
  @JsonIgnore
  public boolean isEmpty() {
    return equals(empty(service));
  }

  /** This ledger with another process. */
  public Ledger withProcess(Optional<ProcessId> p) {
    return new Ledger(service, p, crashSpec, crashes, deployedFor, startedFor, healthFailures);
  }

  /** This ledger without crashes. */
  public Ledger withoutCrashes() {
    return new Ledger(service, process, "", List.of(), deployedFor, startedFor, healthFailures);
  }

  /**
   * This ledger with one more crash at {@code now} for spec {@code specHash} (a new spec starts
   * with a clean record), keeping those within {@code window}.
   */
  public Ledger withCrash(String specHash, Instant now, Duration window) {
    List<Instant> recent = new ArrayList<>();
    if (crashSpec.equals(specHash)) {
      Instant from = now.minus(window);
      for (Instant t : crashes) {
        if (!t.isBefore(from)) {
          recent.add(t);
        }
      }
    }
    recent.add(now);
    return new Ledger(service, process, specHash, recent, deployedFor, startedFor, healthFailures);
  }

  /** This ledger recording an install carried out for {@code specHash}. */
  public Ledger withDeployedFor(String specHash) {
    return new Ledger(
        service, process, crashSpec, crashes, Optional.of(specHash), startedFor, healthFailures);
  }

  /** This ledger recording a start carried out for {@code specHash}. */
  public Ledger withStartedFor(String specHash) {
    return new Ledger(
        service, process, crashSpec, crashes, deployedFor, Optional.of(specHash), healthFailures);
  }

  /** This ledger with another count of consecutive failed health checks. */
  public Ledger withHealthFailures(int n) {
    return new Ledger(service, process, crashSpec, crashes, deployedFor, startedFor, n);
  }
}
