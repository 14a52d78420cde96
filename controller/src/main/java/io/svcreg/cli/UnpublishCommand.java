package io.svcreg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.client.RegistryClient;
import io.svcreg.core.SvcregException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code svcreg unpublish MODULE [--process ID]}: removes a module's published entry. */
@Command(
    name = "unpublish",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Remove a module's published entry from a running controller's registry (needs an admin"
          + " token). A module that is not published is no error.",
      "Exit codes: 0 removed or nothing to remove, 2 not allowed, cannot connect, or bad usage."
    })
final class UnpublishCommand implements Callable<Integer> {

  private final Output output;

  @Parameters(index = "0", paramLabel = "MODULE", description = "The module id.")
  String module;

  @Option(
      names = "--process",
      paramLabel = "ID",
      description = "Remove the entry only if this process published it.")
  String process;

  @Mixin ClientOptions client = new ClientOptions();

  UnpublishCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    try (RegistryClient c = Remote.registry(client)) {
      JsonNode r = c.unpublish(module, Optional.ofNullable(process));
      output
          .out()
          .println(
              "Published/"
                  + module
                  + (r.path("removed").asBoolean()
                      ? ": removed"
                      : process != null
                          ? ": not published by process " + process + "; nothing to do"
                          : ": not published; nothing to do"));
      output.out().flush();
      return Cli.OK;
    } catch (SvcregException e) {
      return Remote.fail(output, "unpublish", e);
    }
  }
}
