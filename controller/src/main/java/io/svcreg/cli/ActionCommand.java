package io.svcreg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.client.SvcregClient;
import io.svcreg.core.SvcregException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code svcreg action NAME start|stop|restart}: asks a running controller to act on a service. */
@Command(
    name = "action",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Ask a running controller to start, stop or restart a service (needs an admin token)."
          + " The request is recorded as an event; the effects follow as events (see `svcreg"
          + " watch`).",
      "Exit codes: 0 requested, 2 no such service, not allowed, cannot connect, or bad usage."
    })
final class ActionCommand implements Callable<Integer> {

  private static final List<String> ACTIONS = List.of("start", "stop", "restart");

  private final Output output;

  @Parameters(index = "0", paramLabel = "NAME", description = "The service.")
  String name;

  @Parameters(index = "1", paramLabel = "ACTION", description = "start, stop or restart.")
  String action;

  @Mixin ClientOptions client = new ClientOptions();

  ActionCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    if (!ACTIONS.contains(action)) {
      output.err().println("svcreg action: '" + action + "': expected start, stop or restart");
      output.err().flush();
      return Cli.ERROR;
    }
    try (SvcregClient c = Remote.connect(client)) {
      JsonNode r = c.call("service_action", Map.of("name", name, "action", action));
      output
          .out()
          .println(
              "Service/"
                  + r.path("name").asText(name)
                  + ": "
                  + r.path("action").asText(action)
                  + " requested (revision "
                  + r.path("revision").asText("?")
                  + ")");
      output.out().flush();
      return Cli.OK;
    } catch (SvcregException e) {
      return Remote.fail(output, "action", e);
    }
  }
}
