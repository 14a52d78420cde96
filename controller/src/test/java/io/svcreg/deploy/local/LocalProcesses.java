package io.svcreg.deploy.local;

import java.util.Map;

/**
 * What {@link ProcFs} says about a process of this host, for tests in other packages (the SSH
 * deployer's tests reach their node on 127.0.0.x, so its processes run here).
 */
public final class LocalProcesses {

  private LocalProcesses() {}

  /** Whether a process (not a zombie) with this pid exists. */
  public static boolean exists(long pid) {
    return ProcFs.exists(pid);
  }

  /** The environment of a process (empty when it cannot be read). */
  public static Map<String, String> environment(long pid) {
    return ProcFs.environment(pid);
  }
}
