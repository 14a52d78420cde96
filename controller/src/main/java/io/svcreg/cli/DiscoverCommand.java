package io.svcreg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.client.RegistryClient;
import io.svcreg.core.SvcregException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code svcreg discover MODULE}: the live endpoints of a module, deployed and published. */
@Command(
    name = "discover",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Show the live endpoints of a module as a running controller knows them: those of the"
          + " deployed service of that name and those published at run time, each with its source.",
      "Exit codes: 0 found, 2 not found, cannot connect, or bad usage."
    })
final class DiscoverCommand implements Callable<Integer> {

  private final Output output;

  @Parameters(index = "0", paramLabel = "MODULE", description = "The module or service.")
  String module;

  @Option(
      names = "-o",
      defaultValue = "table",
      paramLabel = "FORMAT",
      description = "table (default), json or yaml.")
  String format;

  @Mixin ClientOptions client = new ClientOptions();

  DiscoverCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    if (!List.of("table", "json", "yaml").contains(format)) {
      output.err().println("svcreg discover: -o " + format + ": expected table, json or yaml");
      output.err().flush();
      return Cli.ERROR;
    }
    try (RegistryClient c = Remote.registry(client)) {
      JsonNode r = c.discover(module);
      switch (format) {
        case "json" -> output.out().print(Remote.json(r));
        case "yaml" -> output.out().print(Remote.yaml(r));
        default -> output.out().print(GetCommand.endpointsTable(r.path("endpoints")));
      }
      output.out().flush();
      return Cli.OK;
    } catch (SvcregException e) {
      return Remote.fail(output, "discover", e);
    }
  }
}
