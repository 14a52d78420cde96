package io.svcreg.deploy;

/** A failed deployment step: a reason code (see {@link DeployReasons}) and a one-line message. */
public interface Failure {

  /** The reason code, e.g. {@code UnsafePackage}. */
  String reason();

  /** What went wrong, in one line a user can act on. */
  String message();
}
