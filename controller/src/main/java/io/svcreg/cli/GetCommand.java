package io.svcreg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.client.SvcregClient;
import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.core.Snapshot;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code svcreg get services|networks|endpoints [NAME]}: live state from a running controller. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Show services, networks or endpoints as a running controller sees them (over its"
          + " WebSocket API), or the high-availability group it is a member of (cluster).",
      "`get services -o json` prints the observed-state snapshot that `plan --state FILE` reads.",
      "Exit codes: 0 shown, 2 not found, cannot connect, or bad usage."
    })
final class GetCommand implements Callable<Integer> {

  private final Output output;

  @Parameters(
      index = "0",
      paramLabel = "KIND",
      description = "services, networks, endpoints (singular works too) or cluster.")
  String kind;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "NAME",
      description = "One resource by name (for endpoints: the service's endpoints).")
  String name;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      paramLabel = "FORMAT",
      description = "table (default), json or yaml.")
  String format;

  @Mixin ClientOptions client = new ClientOptions();

  GetCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    if (!List.of("table", "json", "yaml").contains(format)) {
      return usage("-o " + format + ": expected table, json or yaml");
    }
    String k =
        switch (kind) {
          case "services", "service", "svc" -> "services";
          case "networks", "network", "net" -> "networks";
          case "endpoints", "endpoint", "ep" -> "endpoints";
          case "cluster" -> "cluster";
          default -> "";
        };
    if (k.isEmpty()) {
      return usage(
          "unknown kind '" + kind + "'; expected services, networks, endpoints or cluster");
    }
    try (SvcregClient c = Remote.connect(client)) {
      JsonNode shown =
          switch (k) {
            case "services" -> services(c);
            case "networks" -> networks(c);
            case "cluster" -> cluster(c);
            default -> endpoints(c);
          };
      switch (format) {
        case "json" -> output.out().print(Remote.json(shown));
        case "yaml" -> output.out().print(Remote.yaml(shown));
        default -> output.out().print(table(k, shown));
      }
      output.out().flush();
      return Cli.OK;
    } catch (SvcregException e) {
      return Remote.fail(output, "get", e);
    }
  }

  /** One service's JSON, or the observed-state snapshot of all. */
  private JsonNode services(SvcregClient c) {
    if (name != null) {
      return c.call("get_service", Map.of("name", name));
    }
    JsonNode services = c.call("list_services", Map.of());
    JsonNode networks = c.call("list_networks", Map.of());
    return Json.mapper().valueToTree(snapshot(services, networks));
  }

  /**
   * The snapshot {@code plan --state} reads, from {@code list_services} and {@code list_networks}:
   * leases are the services' addresses in their networks.
   */
  static ObservedState snapshot(JsonNode services, JsonNode networks) {
    ObjectNode doc = Json.mapper().createObjectNode();
    doc.put("revision", services.path("revision").asLong(0));
    doc.set("networks", networks.path("networks"));
    doc.set("services", services.path("services"));
    ObservedState read = Snapshot.fromJson(Remote.json(doc), "server");
    List<Lease> leases = new ArrayList<>();
    for (ObservedService s : read.services()) {
      s.status()
          .address()
          .ifPresent(a -> leases.add(new Lease(s.spec().network(), a, s.metadata().name())));
    }
    return new ObservedState(read.revision(), read.networks(), read.services(), leases);
  }

  /** The group the controller is a member of, as its {@code server_info} shows it. */
  private static JsonNode cluster(SvcregClient c) {
    JsonNode cluster = c.call("server_info", Map.of()).path("cluster");
    if (cluster.isMissingNode()) {
      throw new SvcregException(
          "the controller at "
              + c.config().server()
              + " is a single controller, not a member of a high-availability group (serve"
              + " --etcd)");
    }
    return cluster;
  }

  /**
   * The group as a summary line, its members and etcd's members as aligned columns: what {@code get
   * cluster} and {@code status} print.
   */
  static String clusterTable(JsonNode c) {
    String nl = System.lineSeparator();
    StringBuilder b = new StringBuilder();
    b.append("member ")
        .append(c.path("member").asText())
        .append(" (")
        .append(c.path("role").asText())
        .append("), leader ")
        .append(c.path("leader").isTextual() ? c.path("leader").asText() : "none")
        .append(", epoch ")
        .append(c.path("epoch").asLong())
        .append(nl)
        .append(nl);
    List<String[]> members = new ArrayList<>();
    members.add(new String[] {"MEMBER", "ROLE", "SINCE"});
    for (JsonNode m : c.path("members")) {
      members.add(
          new String[] {
            m.path("address").asText(),
            m.path("leader").asBoolean() ? "leader" : "standby",
            m.path("since").asText()
          });
    }
    b.append(StatusCommand.columns(members)).append(nl);
    List<String[]> etcd = new ArrayList<>();
    etcd.add(new String[] {"ETCD", "HEALTHY", "RAFT LEADER", "REVISION", "DB SIZE", "ERROR"});
    for (JsonNode e : c.path("etcd")) {
      etcd.add(
          new String[] {
            e.path("endpoint").asText(),
            e.path("healthy").asBoolean() ? "yes" : "no",
            e.path("raftLeader").asBoolean() ? "yes" : "no",
            e.path("revision").asText(),
            e.path("dbSize").asText(),
            e.path("error").asText("")
          });
    }
    b.append(StatusCommand.columns(etcd));
    return b.toString();
  }

  private JsonNode networks(SvcregClient c) {
    if (name != null) {
      return c.call("get_network", Map.of("name", name));
    }
    return c.call("list_networks", Map.of());
  }

  private JsonNode endpoints(SvcregClient c) {
    if (name != null) {
      JsonNode all = c.call("list_endpoints", Map.of("service", name));
      if (all.path("endpoints").isEmpty()) {
        c.call("get_service", Map.of("name", name)); // not_found when there is no such service
      }
      return all;
    }
    return c.call("list_endpoints", Map.of());
  }

  private String table(String k, JsonNode shown) {
    String nl = System.lineSeparator();
    return switch (k) {
      case "services" -> {
        if (name != null) {
          yield StatusCommand.servicesTable(
              Snapshot.fromJson(wrap("services", shown), "server").services());
        }
        ObservedState s = Snapshot.fromJson(Remote.json(shown), "server");
        yield StatusCommand.servicesTable(s.services()) + nl + "revision " + s.revision() + nl;
      }
      case "networks" -> {
        String list = name != null ? wrap("networks", shown) : Remote.json(shown);
        yield StatusCommand.networksTable(Snapshot.fromJson(list, "server").networks());
      }
      case "cluster" -> clusterTable(shown);
      default -> endpointsTable(shown.path("endpoints"));
    };
  }

  private static String wrap(String field, JsonNode one) {
    ObjectNode doc = Json.mapper().createObjectNode();
    ArrayNode list = doc.putArray(field);
    list.add(one);
    return Remote.json(doc);
  }

  static String endpointsTable(JsonNode endpoints) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {"SERVICE", "ENDPOINT", "ADDRESS", "PORT", "PROTOCOL", "HEALTHY", "SOURCE"});
    for (JsonNode e : endpoints) {
      rows.add(
          new String[] {
            e.path("service").asText("-"),
            e.path("name").asText("-"),
            e.path("address").asText("-"),
            e.path("port").asText("-"),
            e.path("protocol").asText("-"),
            e.path("healthy").asBoolean() ? "yes" : "no",
            e.path("source").asText("-")
          });
    }
    return StatusCommand.columns(rows);
  }

  private int usage(String message) {
    output.err().println("svcreg get: " + message);
    output.err().flush();
    return Cli.ERROR;
  }
}
