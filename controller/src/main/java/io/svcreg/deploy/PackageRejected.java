package io.svcreg.deploy;

/** A package that cannot be installed, with the reason code and a one-line message. */
public final class PackageRejected extends Exception {

  private final String reason;

  PackageRejected(String reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  /** An entry that would escape the install directory or is not a file, directory or link. */
  static PackageRejected unsafe(String message) {
    return new PackageRejected(DeployReasons.UNSAFE_PACKAGE, message);
  }

  /** A package that is malformed or incomplete. */
  public static PackageRejected invalid(String message) {
    return new PackageRejected(DeployReasons.INVALID_PACKAGE, message);
  }

  /** The reason code (see {@link DeployReasons}). */
  public String reason() {
    return reason;
  }
}
