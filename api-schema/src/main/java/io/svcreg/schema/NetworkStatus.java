package io.svcreg.schema;

import java.util.List;

/**
 * The observed state of a network: how many addresses are leased out of how many allocatable, and
 * whether the controller's own host is attached to it.
 */
public record NetworkStatus(
    long observedGeneration,
    int allocated,
    long capacity,
    boolean attached,
    List<Condition> conditions) {

  public NetworkStatus {
    conditions = List.copyOf(conditions);
  }
}
