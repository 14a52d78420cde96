package io.svcreg.registry;

import io.svcreg.schema.Protocol;
import io.svcreg.schema.SpecDuration;
import io.svcreg.store.RegistryEntry;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/** What a publish must satisfy: names, addresses, ports, protocols, sizes and the lease. */
final class RegistryRules {

  /** A module id: letters, digits, {@code .}, {@code _}, {@code -}; at most 128 characters. */
  static final Pattern MODULE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** A process id or service id: printable, no spaces, at most 128 characters. */
  static final Pattern WORD = Pattern.compile("[\\x21-\\x7e]{1,128}");

  static final int MAX_APIS = 64;
  static final int MAX_SERVICE_IDS = 64;

  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}"
              + "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  private RegistryRules() {}

  /** Checks a publish; an {@link IllegalArgumentException} with one line for the user if bad. */
  static void check(Registry.Publish p, Registry.Options o) {
    checkModule(p.module());
    p.process()
        .ifPresent(
            pr -> {
              if (!WORD.matcher(pr).matches()) {
                throw new IllegalArgumentException(
                    "process " + quote(pr) + ": expected 1 to 128 printable characters, no spaces");
              }
            });
    if (p.apis().isEmpty() || p.apis().size() > MAX_APIS) {
      throw new IllegalArgumentException(
          "module " + p.module() + ": expected 1 to " + MAX_APIS + " apis, got " + p.apis().size());
    }
    Set<String> names = new HashSet<>();
    for (RegistryEntry.Api a : p.apis()) {
      String where = "module " + p.module() + " api " + quote(a.name());
      if (!WORD.matcher(a.name()).matches()) {
        throw new IllegalArgumentException(
            where + ": a name is 1 to 128 printable characters, no spaces");
      }
      if (!names.add(a.name())) {
        throw new IllegalArgumentException(where + ": given twice; api names must differ");
      }
      if (a.serviceIDs().size() > MAX_SERVICE_IDS) {
        throw new IllegalArgumentException(where + ": at most " + MAX_SERVICE_IDS + " serviceIDs");
      }
      for (String id : a.serviceIDs()) {
        if (!WORD.matcher(id).matches()) {
          throw new IllegalArgumentException(
              where + ": service id " + quote(id) + " is not 1 to 128 printable characters");
        }
      }
      if (!isIpLiteral(a.address())) {
        throw new IllegalArgumentException(
            where + ": address " + quote(a.address()) + " is not an IPv4 or IPv6 address");
      }
      if (a.port() < 1 || a.port() > 65535) {
        throw new IllegalArgumentException(where + ": port " + a.port() + " is not 1..65535");
      }
      if (Protocol.parse(a.protocol()).isEmpty()) {
        throw new IllegalArgumentException(
            where + ": protocol " + quote(a.protocol()) + ": expected " + Protocol.allowed());
      }
    }
    p.ttl()
        .ifPresent(
            t -> {
              if (t.compareTo(o.minTtl()) < 0 || t.compareTo(o.maxTtl()) > 0) {
                throw new IllegalArgumentException(
                    "ttl "
                        + duration(t.toMillis())
                        + ": expected "
                        + duration(o.minTtl().toMillis())
                        + " to "
                        + duration(o.maxTtl().toMillis()));
              }
            });
  }

  /** Checks a module id; an {@link IllegalArgumentException} if it is not one. */
  static void checkModule(String module) {
    if (!MODULE.matcher(module).matches()) {
      throw new IllegalArgumentException(
          "module "
              + quote(module)
              + ": expected 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit");
    }
  }

  /** Whether {@code s} is an IPv4 or IPv6 literal (no name lookups). */
  static boolean isIpLiteral(String s) {
    if (IPV4.matcher(s).matches()) {
      return true;
    }
    if (!s.contains(":") || !IPV6.matcher(s).matches()) {
      return false;
    }
    try {
      // a text with ':' is parsed as an IPv6 literal, never looked up
      // (an IPv4-mapped IPv6 literal comes back as an IPv4 address: also an address)
      return java.net.InetAddress.getByName(s) != null;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** A duration as specs write it ({@code 30s}, {@code 1m30s}). */
  static String duration(long millis) {
    return new SpecDuration(millis).toString();
  }

  private static String quote(String s) {
    String cut = s.length() > 60 ? s.substring(0, 60) + "…" : s;
    return "\"" + cut + "\"";
  }
}
