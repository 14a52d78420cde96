package io.svcreg.store;

import io.svcreg.schema.Protocol;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A module's endpoints published at run time, held under a lease: its process (empty when none was
 * given), its APIs, the lease's length in milliseconds, and the absolute time it expires (so a
 * restarted controller keeps the remaining time).
 */
public record RegistryEntry(
    String module, String process, List<Api> apis, long ttlMillis, Instant expiresAt) {

  /**
   * One API of a module: a name, the service ids it serves, where it listens and how.
   *
   * @param name the API's name (the first service id when published without one)
   * @param serviceIDs the service ids it serves (the reference registry's {@code serviceIDs})
   * @param address the IP address it listens on
   * @param port its port
   * @param protocol {@code tcp}, {@code udp}, {@code http} or {@code grpc}
   */
  public record Api(
      String name, List<String> serviceIDs, String address, int port, String protocol) {

    public Api {
      Objects.requireNonNull(name, "name");
      serviceIDs = List.copyOf(serviceIDs);
      Objects.requireNonNull(address, "address");
      // one shared string per protocol, not one per entry
      protocol = Protocol.parse(protocol).map(Protocol::wireName).orElse(protocol);
    }
  }

  public RegistryEntry {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(process, "process");
    apis = List.copyOf(apis);
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** Whether this entry says the same as {@code o} apart from its lease times. */
  public boolean sameContent(RegistryEntry o) {
    return module.equals(o.module)
        && process.equals(o.process)
        && apis.equals(o.apis)
        && ttlMillis == o.ttlMillis;
  }
}
