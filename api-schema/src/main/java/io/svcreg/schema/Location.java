package io.svcreg.schema;

/** A place in a spec file; line and column start at 1 (0 when unknown). */
public record Location(String file, int line, int column) {

  /** A location for a whole file, without a position inside it. */
  public static Location ofFile(String file) {
    return new Location(file, 0, 0);
  }

  @Override
  public String toString() {
    return line > 0 ? file + ":" + line + ":" + column : file;
  }
}
