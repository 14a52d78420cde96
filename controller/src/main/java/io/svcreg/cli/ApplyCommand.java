package io.svcreg.cli;

import io.svcreg.schema.Problem;
import io.svcreg.source.ApplyResult;
import io.svcreg.source.SpecWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code svcreg apply -f PATH --specs DIR}: validates, then writes specs into the directory; or,
 * without {@code --specs}, sends them to a running controller, which does the same with its own.
 */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Validate spec files together with the spec directory's current content, then write them"
          + " into the directory atomically (temp file + rename), where a running controller"
          + " picks them up. Nothing is written when there is a problem.",
      "The packages the specs refer to (spec.package, relative to the spec file) come along:"
          + " each is copied to the same place relative to where its spec lands, unless the same"
          + " package is there already. A package is never written outside the spec directory.",
      "Without --specs, the files and their packages go to a running controller (--server, or"
          + " the defaults of `svcreg get`), which validates and writes them into its spec"
          + " directory the same way (needs an admin token).",
      "Exit codes: 0 applied, 2 problems."
    })
final class ApplyCommand implements Callable<Integer> {

  private final Output output;

  @Option(
      names = {"-f", "--filename"},
      required = true,
      paramLabel = "PATH",
      description = "A spec file or a directory of them (repeatable).")
  List<Path> files;

  @Option(
      names = "--specs",
      paramLabel = "DIR",
      description =
          "The spec directory a controller watches. Without it, apply through the controller's"
              + " API.")
  Path specs;

  @Mixin ClientOptions client = new ClientOptions();

  ApplyCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    if (specs == null) {
      return new RemoteApply(output, files).run(client);
    }
    if (client.server != null) {
      output.err().println("svcreg apply: --specs and --server are alternatives; give one");
      output.err().flush();
      return Cli.ERROR;
    }
    if (!Files.isDirectory(specs)) {
      output.err().println("svcreg apply: --specs " + specs + ": no such directory");
      output.err().flush();
      return Cli.ERROR;
    }
    ApplyResult result = SpecWriter.apply(files, specs);
    if (!result.ok()) {
      for (Problem p : result.problems()) {
        output.err().println(p);
      }
      output.err().println("svcreg apply: nothing written; fix the problems above");
      output.err().flush();
      return Cli.ERROR;
    }
    for (ApplyResult.Applied a : result.resources()) {
      output.out().println(a.key() + " " + a.outcome() + " (" + a.file() + ")");
    }
    for (Path p : result.packages()) {
      output.out().println("package " + p + " written");
    }
    output.out().flush();
    return Cli.OK;
  }
}
