package io.svcreg.deploy;

import java.io.IOException;

/** A failed deployment step: a reason code (see {@link DeployReasons}) and a one-line message. */
public interface Failure {

  /** The reason code, e.g. {@code UnsafePackage}. */
  String reason();

  /** What went wrong, in one line a user can act on. */
  String message();

  /**
   * An I/O error in one line, for a message: its text, with the exception type when that says more.
   */
  static String describe(IOException e) {
    String m = e.getMessage();
    String type = e.getClass().getSimpleName();
    if (m == null || m.isBlank()) {
      return type;
    }
    return e.getClass() == IOException.class ? m : type + ": " + m;
  }
}
