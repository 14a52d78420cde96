package io.svcreg.cli;

import io.svcreg.core.ObservedState;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.schema.Problem;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import io.svcreg.source.GitRevision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/** Reading and checking spec files for the commands. */
final class Specs {

  private Specs() {}

  /**
   * Spec files read and checked: the specs, every problem (the loader's and the planner's, such as
   * unknown dependencies or clashing addresses, once each, in file order) and how many resources
   * they declare.
   */
  record Checked(SpecSet specs, List<Problem> problems, int declared) {}

  /**
   * The Git commit checked out in the work tree that holds {@code specs} (a directory, or one spec
   * file); empty outside a Git work tree.
   */
  static Optional<String> revision(Path specs) {
    Path dir = Files.isDirectory(specs) ? specs : specs.toAbsolutePath().getParent();
    return dir == null ? Optional.empty() : GitRevision.of(dir);
  }

  /** Reads the paths and plans them against a fresh controller to find every static problem. */
  static Checked check(List<Path> paths) {
    SpecSet specs = SpecLoader.load(paths);
    Plan plan = Planner.plan(specs, ObservedState.EMPTY);
    TreeSet<Problem> problems = new TreeSet<>(Problem.ORDER);
    problems.addAll(specs.problems());
    problems.addAll(plan.problems());
    return new Checked(
        specs, List.copyOf(problems), specs.resources().size() + specs.held().size());
  }
}
