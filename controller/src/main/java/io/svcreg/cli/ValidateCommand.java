package io.svcreg.cli;

import io.svcreg.schema.Problem;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code svcreg validate PATH...}: checks spec files without touching anything. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Check spec files and directories: YAML, fields, references between resources, packages,"
          + " addresses and dependency cycles.",
      "Prints each problem on stderr as file:line:column: path: message.",
      "Exit codes: 0 valid, 2 problems or bad usage."
    })
final class ValidateCommand implements Callable<Integer> {

  private final Output output;

  @Parameters(
      arity = "1..*",
      paramLabel = "PATH",
      description = "Spec files, or directories read recursively (*.yaml, *.yml).")
  List<Path> paths;

  ValidateCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    Specs.Checked checked = Specs.check(paths);
    String counts =
        PlanSummary.plural(checked.specs().files().size(), "file")
            + ", "
            + PlanSummary.plural(checked.declared(), "resource");
    if (checked.problems().isEmpty()) {
      output.out().println(counts + ": valid");
      return Cli.OK;
    }
    for (Problem p : checked.problems()) {
      output.err().println(p);
    }
    output.err().flush();
    output.out().println(counts + ": " + PlanSummary.plural(checked.problems().size(), "problem"));
    return Cli.ERROR;
  }
}
