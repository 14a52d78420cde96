package io.svcreg.cli;

import io.svcreg.core.ObservedState;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.core.Snapshot;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Problem;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code svcreg plan --specs DIR}: what the controller would do, without doing it. */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Show what the controller would change to reach the desired state in --specs: the"
          + " resources it creates, updates and deletes, and the waves of actions, in"
          + " dependency order.",
      "Observed state: none (a fresh controller), --state FILE (a JSON snapshot), --data DIR"
          + " (a controller's data directory), or --server URL (a running controller's live"
          + " state; without --specs, the plan of the controller's own spec directory).",
      "Without --specs, the plan comes from the running controller (--server, or the defaults"
          + " of `svcreg get`: $SVCREG_SERVER, else {data}/api.url).",
      "When the spec directory is in a Git work tree, the plan names the commit checked out"
          + " there (JSON: sourceRevision).",
      "Exit codes (as kubectl diff): 0 no changes, 1 changes, 2 problems, bad usage or an error."
    })
final class PlanCommand implements Callable<Integer> {

  private final Output output;

  @Option(
      names = "--specs",
      paramLabel = "DIR",
      description =
          "The spec directory (read recursively: *.yaml, *.yml), or one spec file. Without it:"
              + " the running controller's plan of its own spec directory.")
  Path specs;

  @Option(
      names = "--server",
      paramLabel = "URL[,URL...]",
      description =
          "Plan against a running controller's live state, wss://HOST:PORT/v1/ws, or against"
              + " one of the members of a high-availability group: their URLs, comma-separated,"
              + " tried in order (default without --specs: $SVCREG_SERVER, else"
              + " {data}/api.url).")
  String server;

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      description = "With --server: the CA to trust (default: $SVCREG_CA, else {data}/tls/ca.crt).")
  Path ca;

  @Option(
      names = "--token",
      paramLabel = "FILE",
      description =
          "With --server: the token file (default: $SVCREG_TOKEN, else"
              + " {data}/tokens/admin.token or read.token).")
  Path token;

  @Option(
      names = "--state",
      paramLabel = "FILE",
      description =
          "A JSON snapshot of observed state (as `svcreg get -o json` prints it)."
              + " Default: a fresh controller that has done nothing yet.")
  Path state;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description =
          "The data directory of a controller: plan against its store (read-only; a stopped"
              + " controller) or the snapshot a running one keeps.")
  Path data;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "text",
      converter = OutputFormat.Converter.class,
      completionCandidates = OutputFormat.Names.class,
      description = "text (default), json, or markdown (for pull-request comments).")
  OutputFormat format;

  PlanCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    if (server != null || specs == null) {
      if (state != null) {
        return fail("--state and --server are alternatives; give one");
      }
      if (specs != null && !Files.exists(specs)) {
        return fail("--specs " + specs + ": no such file or directory");
      }
      return new RemotePlan(output, format, specs)
          .run(
              () ->
                  ClientOptions.resolve(
                      server, ca, token, data == null ? Path.of(".svcreg") : data, Remote.env()));
    }
    if (!Files.exists(specs)) {
      return fail("--specs " + specs + ": no such file or directory");
    }
    ObservedState observed = ObservedState.EMPTY;
    if (state != null && data != null) {
      return fail("--state and --data are alternatives; give one");
    }
    if (data != null) {
      try {
        observed = ObservedSource.read(data).state();
      } catch (SvcregException e) {
        return fail(oneLine(e));
      }
    }
    if (state != null) {
      if (!Files.isRegularFile(state) || !Files.isReadable(state)) {
        return fail("--state " + state + ": no such readable file");
      }
      try {
        observed = Snapshot.read(state);
      } catch (SvcregException e) {
        return fail(oneLine(e));
      }
    }
    SpecSet desired = SpecLoader.load(List.of(specs));
    Plan plan = Planner.plan(desired, observed).withSourceRevision(Specs.revision(specs));
    switch (format) {
      case TEXT -> PlanText.render(plan, output);
      case JSON -> output.out().print(PlanJson.render(plan));
      case MARKDOWN -> output.out().print(PlanMarkdown.render(plan));
    }
    if (format != OutputFormat.TEXT) {
      output.out().flush();
      for (Problem p : plan.problems()) {
        output.err().println(p);
      }
    }
    output.flush();
    if (!plan.problems().isEmpty()) {
      return Cli.ERROR;
    }
    return plan.hasChanges() ? Cli.CHANGES : Cli.OK;
  }

  private int fail(String message) {
    output.err().println("svcreg plan: " + message);
    output.err().flush();
    return Cli.ERROR;
  }

  private static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replaceAll("\\s*\\R\\s*", " ");
  }
}
