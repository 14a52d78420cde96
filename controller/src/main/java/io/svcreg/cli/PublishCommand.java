package io.svcreg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.client.RegistryClient;
import io.svcreg.client.SvcregClient;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.SpecDuration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code svcreg publish MODULE --api NAME=ADDRESS:PORT[/PROTOCOL]...}: publishes under a lease. */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Publish a module's APIs in a running controller's registry under a lease (needs an admin"
          + " token). Publishing the same again refreshes the lease; a lease that is not refreshed"
          + " within its ttl expires (see docs/registry.md).",
      "Exit codes: 0 published, 2 refused, cannot connect, or bad usage."
    })
final class PublishCommand implements Callable<Integer> {

  private final Output output;

  @Parameters(index = "0", paramLabel = "MODULE", description = "The module id.")
  String module;

  @Option(
      names = "--api",
      required = true,
      paramLabel = "NAME=ADDRESS:PORT[/PROTOCOL]",
      description =
          "An API (repeatable), e.g. grpc=127.0.0.1:50051/grpc or http=[::1]:8080/http;"
              + " protocol tcp (default), udp, http or grpc.")
  List<String> apis = new ArrayList<>();

  @Option(
      names = "--process",
      paramLabel = "ID",
      description = "The publishing process (a restarted process replaces its predecessor).")
  String process;

  @Option(
      names = "--ttl",
      paramLabel = "DURATION",
      description = "The lease, e.g. 30s or 5m (default: the controller's --lease-ttl).")
  String ttl;

  @Option(
      names = "-o",
      defaultValue = "text",
      paramLabel = "FORMAT",
      description = "text (default) or json.")
  String format;

  @Mixin ClientOptions client = new ClientOptions();

  PublishCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    if (!List.of("text", "json").contains(format)) {
      return usage("-o " + format + ": expected text or json");
    }
    List<SvcregClient.PublishedApi> list = new ArrayList<>();
    for (String a : apis) {
      Optional<SvcregClient.PublishedApi> api = parseApi(a);
      if (api.isEmpty()) {
        return usage(
            "--api "
                + a
                + ": expected NAME=ADDRESS:PORT[/PROTOCOL], like grpc=127.0.0.1:50051/grpc");
      }
      list.add(api.get());
    }
    Optional<Duration> lease = Optional.empty();
    if (ttl != null) {
      Optional<SpecDuration> d = SpecDuration.parse(ttl);
      if (d.isEmpty()) {
        return usage("--ttl " + ttl + ": expected a duration like 30s or 5m");
      }
      lease = Optional.of(d.get().toDuration());
    }
    try (RegistryClient c = Remote.registry(client)) {
      JsonNode r = c.publish(module, Optional.ofNullable(process), list, lease);
      if (format.equals("json")) {
        output.out().print(Remote.json(r));
      } else {
        output
            .out()
            .println(
                "Published/"
                    + r.path("module").asText(module)
                    + ": "
                    + r.path("outcome").asText("?")
                    + ", lease "
                    + r.path("ttl").asText("?")
                    + " until "
                    + r.path("expiresAt").asText("?"));
      }
      output.out().flush();
      return Cli.OK;
    } catch (SvcregException e) {
      return Remote.fail(output, "publish", e);
    }
  }

  /** {@code NAME=ADDRESS:PORT[/PROTOCOL]}; empty when it is not one. */
  static Optional<SvcregClient.PublishedApi> parseApi(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0) {
      return Optional.empty();
    }
    String name = text.substring(0, eq);
    String rest = text.substring(eq + 1);
    String protocol = "tcp";
    int slash = rest.lastIndexOf('/');
    if (slash >= 0) {
      protocol = rest.substring(slash + 1);
      rest = rest.substring(0, slash);
    }
    Optional<HostPort> hp = HostPort.parse(rest);
    if (hp.isEmpty() || protocol.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new SvcregClient.PublishedApi(name, hp.get().host(), hp.get().port(), protocol));
  }

  private int usage(String message) {
    output.err().println("svcreg publish: " + message);
    output.err().flush();
    return Cli.ERROR;
  }
}
