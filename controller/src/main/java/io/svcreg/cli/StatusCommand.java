package io.svcreg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.ControllerApp;
import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.core.Snapshot;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Condition;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code svcreg status --data DIR}: the controller's observed state, from its data directory. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Show the services and networks a controller manages, read from its data directory:"
          + " the store of a stopped controller (read-only), or the snapshot a running one keeps.",
      "-o json prints the observed-state snapshot that `plan --state FILE` reads."
    })
final class StatusCommand implements Callable<Integer> {

  private final Output output;

  @Option(
      names = "--data",
      defaultValue = ".svcreg",
      paramLabel = "DIR",
      description = "The controller's data directory (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      paramLabel = "FORMAT",
      description = "table (default) or json.")
  String format;

  StatusCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    if (!format.equals("table") && !format.equals("json")) {
      return fail("-o " + format + ": expected table or json");
    }
    ObservedSource.Read read;
    try {
      read = ObservedSource.read(data);
    } catch (SvcregException e) {
      return fail(e.getMessage());
    }
    if (format.equals("json")) {
      output.out().print(Snapshot.toJson(read.state()));
      output.out().flush();
      return Cli.OK;
    }
    output.out().print(table(read.state()));
    output.out().println();
    output.out().println("revision " + read.state().revision() + ", from the " + read.source());
    Path cluster = data.resolve(ControllerApp.CLUSTER_FILE);
    if (Files.isRegularFile(cluster)) {
      try {
        JsonNode c = Json.mapper().readTree(Files.readString(cluster));
        output.out().println();
        output.out().print(GetCommand.clusterTable(c));
        output
            .out()
            .println(
                "the group as this member saw it at "
                    + c.path("at").asText()
                    + " (live: svcreg get cluster)");
      } catch (IOException e) {
        output.err().println("svcreg status: cannot read " + cluster + ": " + e.getMessage());
      }
    }
    output.out().flush();
    return Cli.OK;
  }

  /** The services and networks as aligned columns. */
  static String table(ObservedState s) {
    return servicesTable(s.services()) + System.lineSeparator() + networksTable(s.networks());
  }

  /** The services as aligned columns, with a header. */
  static String servicesTable(List<ObservedService> services) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "SERVICE", "PHASE", "VERSION", "ADDRESS", "ENDPOINTS", "HEALTH", "PID", "GEN", "MESSAGE"
        });
    for (ObservedService o : services) {
      var st = o.status();
      String message =
          st.lastError()
              .or(
                  () ->
                      st.condition(Condition.DEGRADED)
                          .filter(c -> c.status().wireName().equals("True"))
                          .map(Condition::message))
              .orElse("");
      rows.add(
          new String[] {
            o.metadata().name(),
            st.phase().wireName(),
            st.deployedVersion().orElse("-"),
            st.address().map(Object::toString).orElse("-"),
            st.endpoints().isEmpty() ? "-" : String.join(",", st.endpoints()),
            st.health().state().wireName(),
            st.pid().map(String::valueOf).orElse("-"),
            st.observedGeneration() + "/" + o.generation(),
            message
          });
    }
    return columns(rows);
  }

  /** The networks as aligned columns, with a header. */
  static String networksTable(List<ObservedNetwork> networks) {
    List<String[]> nets = new ArrayList<>();
    nets.add(new String[] {"NETWORK", "TYPE", "SUBNET", "LEASED", "ATTACHED"});
    for (ObservedNetwork n : networks) {
      nets.add(
          new String[] {
            n.metadata().name(),
            n.spec().type().wireName(),
            n.spec().subnet().toString(),
            n.status().allocated() + "/" + n.status().capacity(),
            n.status().attached() ? "yes" : "no"
          });
    }
    return columns(nets);
  }

  /** Rows as left-aligned columns; the first row is the header. */
  static String columns(List<String[]> rows) {
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        line.append(i == r.length - 1 ? r[i] : String.format("%-" + (width[i] + 2) + "s", r[i]));
      }
      b.append(line.toString().stripTrailing()).append(System.lineSeparator());
    }
    return b.toString();
  }

  private int fail(String message) {
    output.err().println("svcreg status: " + message.replaceAll("\\s*\\R\\s*", " "));
    output.err().flush();
    return Cli.ERROR;
  }
}
