package io.svcreg.deploy;

/** The reason codes of deployment failures (usable as condition reasons). */
public final class DeployReasons {

  /** The package path does not exist. */
  public static final String PACKAGE_NOT_FOUND = "PackageNotFound";

  /** Not a directory or .tar.gz, a corrupt archive, or a required file is missing. */
  public static final String INVALID_PACKAGE = "InvalidPackage";

  /** An entry would escape the install directory, or is a device, fifo or socket. */
  public static final String UNSAFE_PACKAGE = "UnsafePackage";

  /** The install directory is taken by another service or by files svcreg did not install. */
  public static final String INSTALL_CONFLICT = "InstallConflict";

  /** Writing the install directory failed (disk full, permissions). */
  public static final String INSTALL_FAILED = "InstallFailed";

  /** Removing installed versions failed. */
  public static final String UNINSTALL_FAILED = "UninstallFailed";

  /**
   * A directory of the service was not deleted because live processes run from it (see {@link
   * DirectoryInUse}); it is looked at again later.
   */
  public static final String DIRECTORY_IN_USE = "InstallDirectoryInUse";

  /** The version to start is not installed. */
  public static final String NOT_INSTALLED = "NotInstalled";

  /** The start script could not be run. */
  public static final String START_FAILED = "StartFailed";

  /** The start script exited within the start grace period. */
  public static final String EXITED_DURING_START = "ExitedDuringStart";

  /** The process group was still alive after SIGKILL. */
  public static final String STOP_FAILED = "StopFailed";

  /** The health script exited with a non-zero code. */
  public static final String HEALTH_CHECK_FAILED = "HealthCheckFailed";

  /** The health script did not finish within its timeout and was killed. */
  public static final String HEALTH_CHECK_TIMEOUT = "HealthCheckTimeout";

  /** The health script is not in the install directory or could not be run. */
  public static final String HEALTH_SCRIPT_MISSING = "HealthScriptMissing";

  /**
   * The service's process is gone (or its pid belongs to another process now), whatever its health
   * script said.
   */
  public static final String PROCESS_EXITED = "ProcessExited";

  /** The controller was interrupted (shutting down) while waiting. */
  public static final String INTERRUPTED = "Interrupted";

  /** The node did not answer (connection refused, timed out, no route). */
  public static final String NODE_UNREACHABLE = "NodeUnreachable";

  /** The node's host key is unknown or changed (see {@code svcreg trust}). */
  public static final String HOST_KEY_REFUSED = "HostKeyRefused";

  /** The node refused to authenticate us, or the identity file is missing. */
  public static final String AUTH_FAILED = "AuthenticationFailed";

  /**
   * The node has seen a higher epoch than this controller's: another controller of the group leads
   * now, and this one no longer acts on nodes.
   */
  public static final String NODE_FENCED = "NodeFenced";

  /** The connection to the node broke in the middle of an action. */
  public static final String CONNECTION_LOST = "ConnectionLost";

  /**
   * A command or library the package requires is missing on the node (the controller's host
   * included), see {@link Requirements}.
   */
  public static final String REQUIREMENT_MISSING = "RequirementMissing";

  /** The upload's checksum did not match on the node. */
  public static final String CHECKSUM_MISMATCH = "ChecksumMismatch";

  /**
   * A service's address could not be configured on (or removed from) its node: no interface holds
   * the network's subnet, or {@code ip} failed (svcreg needs root or CAP_NET_ADMIN there).
   */
  public static final String ADDRESS_FAILED = "AddressFailed";

  /**
   * The service's execution type cannot be run on its node (e.g. {@code systemd} where systemd is
   * not the init system, or on the controller's own host).
   */
  public static final String EXECUTION_UNSUPPORTED = "ExecutionUnsupported";

  /**
   * The node's systemd is booting or shutting down: what runs there is in flux and is looked at
   * again once it has settled (nothing is counted as a crash, nothing is started meanwhile).
   */
  public static final String NODE_NOT_READY = "NodeNotReady";

  /** A command on the node did not finish in time. */
  public static final String NODE_TIMEOUT = "NodeTimeout";

  private DeployReasons() {}
}
