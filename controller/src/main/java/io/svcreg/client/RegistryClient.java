package io.svcreg.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.schema.SpecDuration;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The registry's actions over a connection to the API: {@link SvcregClient} (TLS WebSocket) or
 * {@link UnixSocketClient} (the Unix-domain socket).
 */
public interface RegistryClient extends AutoCloseable {

  /**
   * Sends a request and waits for its response's data; throws {@link ApiException} (an error
   * response) or {@link ConnectionException}.
   */
  JsonNode call(String action, ObjectNode params);

  /**
   * Publishes a module's APIs in the registry under a lease ({@code publish}, admin): {@code
   * process} tells a restarted process from the one it replaces, {@code ttl} is the lease (empty:
   * the server's default). Publishing again refreshes the lease. Returns the response data ({@code
   * module, process?, outcome: registered|updated|refreshed, ttl, expiresAt, revision}).
   */
  default JsonNode publish(
      String module,
      Optional<String> process,
      List<SvcregClient.PublishedApi> apis,
      Optional<Duration> ttl) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("module", module);
    process.ifPresent(p -> params.put("process", p));
    ArrayNode list = params.putArray("apis");
    for (SvcregClient.PublishedApi a : apis) {
      ObjectNode n = list.addObject();
      n.put("name", a.name());
      n.put("address", a.address());
      n.put("port", a.port());
      n.put("protocol", a.protocol());
    }
    ttl.ifPresent(t -> params.put("ttl", new SpecDuration(t.toMillis()).toString()));
    return call("publish", params);
  }

  /**
   * The live endpoints of a module ({@code discover}): those of a deployed service of that name and
   * those published at run time, each with its {@code source}. Throws an {@link ApiException}
   * {@code not_found} when there are none of either.
   */
  default JsonNode discover(String module) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("module", module);
    return call("discover", params);
  }

  /**
   * Removes a module's published entry ({@code unpublish}, admin); with a process, only that
   * process's. An unknown module is no error: the data says {@code removed: false}.
   */
  default JsonNode unpublish(String module, Optional<String> process) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("module", module);
    process.ifPresent(p -> params.put("process", p));
    return call("unpublish", params);
  }

  /** Closes the connection. */
  @Override
  void close();
}
