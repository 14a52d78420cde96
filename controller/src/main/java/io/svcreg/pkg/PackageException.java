package io.svcreg.pkg;

import java.util.List;

/** A package that cannot be built, with one line per problem (what, where, what to do). */
public final class PackageException extends Exception {

  private final List<String> problems;

  /** A package with these problems (at least one). */
  public PackageException(List<String> problems) {
    super(String.join("; ", problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  /** A package with one problem. */
  public PackageException(String problem) {
    this(List.of(problem));
  }

  /** The problems, one line each. */
  public List<String> problems() {
    return problems;
  }
}
