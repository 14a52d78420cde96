package io.svcreg.schema;

import java.util.Comparator;

/**
 * Something wrong with the desired state: where it is ({@code file:line:column} and the field path,
 * e.g. {@code spec.endpoints[0].port}) and what is wrong, including what is allowed.
 */
public record Problem(String file, int line, int column, String path, String message) {

  /** Orders problems by file, then position. */
  public static final Comparator<Problem> ORDER =
      Comparator.comparing(Problem::file)
          .thenComparingInt(Problem::line)
          .thenComparingInt(Problem::column)
          .thenComparing(Problem::path)
          .thenComparing(Problem::message);

  /** A problem at a location. */
  public static Problem at(Location where, String path, String message) {
    return new Problem(where.file(), where.line(), where.column(), path, message);
  }

  /** The location part. */
  public Location location() {
    return new Location(file, line, column);
  }

  /** One line for a terminal: {@code file:line:col: path: message}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(location().toString()).append(": ");
    if (!path.isEmpty()) {
      b.append(path).append(": ");
    }
    return b.append(message).toString();
  }
}
