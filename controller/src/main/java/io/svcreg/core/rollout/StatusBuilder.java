package io.svcreg.core.rollout;

import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Health;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Phase;
import io.svcreg.schema.ServiceStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builds a changed copy of a {@link ServiceStatus}; conditions keep their transition time. */
final class StatusBuilder {

  private Phase phase;
  private long observedGeneration;
  private Optional<String> deployedVersion;
  private Optional<String> previousVersion;
  private Optional<String> node;
  private Optional<Ipv4> address;
  private List<String> endpoints;
  private Optional<Long> pid;
  private Optional<String> containerId;
  private Health health;
  private final List<Condition> conditions;
  private Optional<String> lastError;
  private Optional<String> sourceRevision;

  StatusBuilder(ServiceStatus s) {
    phase = s.phase();
    observedGeneration = s.observedGeneration();
    deployedVersion = s.deployedVersion();
    previousVersion = s.previousVersion();
    node = s.node();
    address = s.address();
    endpoints = s.endpoints();
    pid = s.pid();
    containerId = s.containerId();
    health = s.health();
    conditions = new ArrayList<>(s.conditions());
    lastError = s.lastError();
    sourceRevision = s.sourceRevision();
  }

  StatusBuilder phase(Phase p) {
    phase = p;
    return this;
  }

  StatusBuilder observedGeneration(long g) {
    observedGeneration = g;
    return this;
  }

  StatusBuilder deployedVersion(Optional<String> v) {
    deployedVersion = v;
    return this;
  }

  StatusBuilder previousVersion(Optional<String> v) {
    previousVersion = v;
    return this;
  }

  StatusBuilder node(Optional<String> n) {
    node = n;
    return this;
  }

  StatusBuilder address(Optional<Ipv4> a) {
    address = a;
    return this;
  }

  StatusBuilder endpoints(List<String> e) {
    endpoints = e;
    return this;
  }

  /** Sets the process; no process: no container either. */
  StatusBuilder pid(Optional<Long> p) {
    pid = p;
    if (p.isEmpty()) {
      containerId = Optional.empty();
    }
    return this;
  }

  StatusBuilder containerId(Optional<String> c) {
    containerId = c;
    return this;
  }

  StatusBuilder health(Health h) {
    health = h;
    return this;
  }

  StatusBuilder lastError(Optional<String> e) {
    lastError = e;
    return this;
  }

  StatusBuilder sourceRevision(Optional<String> r) {
    sourceRevision = r;
    return this;
  }

  /**
   * Sets a condition; its transition time changes only when its status does (as in Kubernetes), so
   * re-setting an unchanged condition changes nothing.
   */
  StatusBuilder condition(
      String type, ConditionStatus status, String reason, String message, Instant now) {
    for (int i = 0; i < conditions.size(); i++) {
      Condition c = conditions.get(i);
      if (c.type().equals(type)) {
        Instant since = c.status() == status ? c.lastTransitionTime() : now;
        if (type.equals(Condition.PROGRESSING) && !c.reason().equals(reason)) {
          // the progress deadline counts from the start of each step
          since = now;
        }
        conditions.set(i, new Condition(type, status, reason, message, since));
        return this;
      }
    }
    conditions.add(new Condition(type, status, reason, message, now));
    return this;
  }

  /** Removes a condition. */
  StatusBuilder clearCondition(String type) {
    conditions.removeIf(c -> c.type().equals(type));
    return this;
  }

  ServiceStatus build() {
    return new ServiceStatus(
        phase,
        observedGeneration,
        deployedVersion,
        previousVersion,
        node,
        address,
        endpoints,
        pid,
        containerId,
        health,
        conditions,
        lastError,
        sourceRevision);
  }
}
