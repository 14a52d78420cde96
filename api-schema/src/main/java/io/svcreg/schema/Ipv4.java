package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** An IPv4 address held as its 32 bits (compares as unsigned). */
public record Ipv4(int bits) implements Comparable<Ipv4> {

  /** Parses dotted-quad text strictly (four decimal octets 0–255, no leading zeros). */
  public static Optional<Ipv4> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    int bits = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
        return Optional.empty();
      }
      int v = 0;
      for (int i = 0; i < p.length(); i++) {
        char c = p.charAt(i);
        if (c < '0' || c > '9') {
          return Optional.empty();
        }
        v = v * 10 + (c - '0');
      }
      if (v > 255) {
        return Optional.empty();
      }
      bits = (bits << 8) | v;
    }
    return Optional.of(new Ipv4(bits));
  }

  /** Parses text that is known to be valid. */
  @JsonCreator
  public static Ipv4 of(String text) {
    return parse(text)
        .orElseThrow(() -> new IllegalArgumentException("not an IPv4 address: " + text));
  }

  /** The address {@code n} places after this one. */
  public Ipv4 plus(long n) {
    return new Ipv4((int) (unsigned() + n));
  }

  /** The address as an unsigned number. */
  public long unsigned() {
    return Integer.toUnsignedLong(bits);
  }

  @Override
  public int compareTo(Ipv4 o) {
    return Integer.compareUnsigned(bits, o.bits);
  }

  @JsonValue
  @Override
  public String toString() {
    return ((bits >>> 24) & 0xff)
        + "."
        + ((bits >>> 16) & 0xff)
        + "."
        + ((bits >>> 8) & 0xff)
        + "."
        + (bits & 0xff);
  }
}
