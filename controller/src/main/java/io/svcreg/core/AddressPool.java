package io.svcreg.core;

import io.svcreg.schema.Ipv4;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The free addresses of one network during one plan. Starts from the current leases (including
 * those this plan releases: an address is never reused in the plan that frees it) and the static
 * addresses of all services, and hands out the lowest free address.
 */
final class AddressPool {

  private final AddressRules rules;
  private final Map<Ipv4, String> leasedTo = new HashMap<>();
  private final Map<Ipv4, String> claimed = new HashMap<>();
  private final Set<Integer> used = new HashSet<>();
  private long cursor;
  private long inUse;

  AddressPool(AddressRules rules) {
    this.rules = rules;
    this.cursor = rules.first();
  }

  /** Records an address currently leased to {@code service}. */
  void leased(Ipv4 address, String service) {
    leasedTo.putIfAbsent(address, service);
    use(address);
  }

  /** Records a static address some service asks for: it is never handed out to another. */
  void staticAddress(Ipv4 address) {
    use(address);
  }

  private void use(Ipv4 address) {
    if (rules.usable(address) && used.add(address.bits())) {
      inUse++;
    }
  }

  /**
   * Claims {@code address} as the static address of {@code service}; returns why it cannot have it,
   * or empty.
   */
  Optional<String> claimStatic(Ipv4 address, String service) {
    Optional<String> bad = rules.unusable(address);
    if (bad.isPresent()) {
      return bad;
    }
    String holder = leasedTo.get(address);
    if (holder != null && !holder.equals(service)) {
      return Optional.of(address + " is leased to service " + holder);
    }
    String other = claimed.get(address);
    if (other != null) {
      return Optional.of(address + " is also the static address of service " + other);
    }
    claimed.put(address, service);
    use(address);
    return Optional.empty();
  }

  /** The service that currently leases {@code address}, if any. */
  Optional<String> holder(Ipv4 address) {
    return Optional.ofNullable(leasedTo.get(address));
  }

  /** Hands out the lowest free address, or empty when the network is full. */
  Optional<Ipv4> next() {
    long last = rules.last();
    while (cursor <= last) {
      Ipv4 a = new Ipv4((int) cursor);
      cursor++;
      if (!used.contains(a.bits()) && rules.usable(a)) {
        used.add(a.bits());
        inUse++;
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  /** The message for a full network. */
  String exhausted() {
    long capacity = rules.capacity();
    return "network "
        + rules.network()
        + " has no free address: "
        + Math.min(inUse, capacity)
        + " of "
        + capacity
        + " in use";
  }
}
