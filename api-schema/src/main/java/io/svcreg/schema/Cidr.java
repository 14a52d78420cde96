package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** An IPv4 subnet in CIDR notation; {@code base} has no host bits set. */
public record Cidr(Ipv4 base, int prefix) {

  public Cidr {
    if (prefix < 0 || prefix > 32) {
      throw new IllegalArgumentException("prefix out of range: " + prefix);
    }
    if ((base.bits() & ~mask(prefix)) != 0) {
      throw new IllegalArgumentException("host bits set in " + base + "/" + prefix);
    }
  }

  /** The outcome of parsing CIDR text: the subnet, or why the text is not one. */
  public sealed interface Parsed {
    /** A valid subnet. */
    record Ok(Cidr cidr) implements Parsed {}

    /** Text that is not a valid subnet, with the reason. */
    record Invalid(String reason) implements Parsed {}
  }

  /** Parses {@code a.b.c.d/n}; host bits must be zero. */
  public static Parsed parse(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash < 0) {
      return new Parsed.Invalid("expected an IPv4 subnet like 192.168.1.0/24");
    }
    Optional<Ipv4> ip = Ipv4.parse(text.substring(0, slash));
    if (ip.isEmpty()) {
      return new Parsed.Invalid(
          "'" + text.substring(0, slash) + "' is not an IPv4 address; expected e.g. 10.0.0.0/24");
    }
    String p = text.substring(slash + 1);
    if (!p.matches("[0-9]{1,2}") || Integer.parseInt(p) > 32) {
      return new Parsed.Invalid("prefix length '" + p + "' must be a number from 0 to 32");
    }
    int prefix = Integer.parseInt(p);
    int bits = ip.get().bits();
    if ((bits & ~mask(prefix)) != 0) {
      Ipv4 network = new Ipv4(bits & mask(prefix));
      return new Parsed.Invalid(
          "host bits are set; the network address of this subnet is " + network + "/" + prefix);
    }
    return new Parsed.Ok(new Cidr(ip.get(), prefix));
  }

  /** Parses text known to be valid. */
  @JsonCreator
  public static Cidr of(String text) {
    return switch (parse(text)) {
      case Parsed.Ok ok -> ok.cidr();
      case Parsed.Invalid bad -> throw new IllegalArgumentException(text + ": " + bad.reason());
    };
  }

  private static int mask(int prefix) {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  /** Number of addresses in the subnet, including network and broadcast. */
  public long size() {
    return 1L << (32 - prefix);
  }

  /** Whether the address lies in this subnet. */
  public boolean contains(Ipv4 ip) {
    return (ip.bits() & mask(prefix)) == base.bits();
  }

  /** The network (first) address. */
  public Ipv4 network() {
    return base;
  }

  /** The broadcast (last) address. */
  public Ipv4 broadcast() {
    return base.plus(size() - 1);
  }

  /**
   * Whether the address is one that is never handed out: the network and broadcast addresses (for
   * prefixes up to /30; /31 and /32 have none).
   */
  public boolean isNetworkOrBroadcast(Ipv4 ip) {
    return prefix <= 30 && (ip.equals(network()) || ip.equals(broadcast()));
  }

  @JsonValue
  @Override
  public String toString() {
    return base + "/" + prefix;
  }
}
