package io.svcreg.deploy;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A directory of the install root that a deployer did not delete because live processes run from
 * it: the version its marker names (empty for a temporary or moved-aside directory), its path on
 * the node, and the processes. Nothing is deleted under a live process: the directory stays, and
 * the next deletion of it (the service's next install or removal) looks again.
 */
public record DirectoryInUse(String version, String path, List<Holder> processes) {

  public DirectoryInUse {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(path, "path");
    processes = List.copyOf(processes);
  }

  /**
   * A live process that runs from the directory: its pid, its command line, and how it was found,
   * comma-separated when several ways found it: {@link #RECORDED} (the start svcreg recorded in the
   * directory's {@code logs/service.pid}, alive with the same start time), {@code cwd} or {@code
   * exe} (its working directory or its executable is inside the directory), {@code unit:NAME} (the
   * main process of an active systemd unit whose {@code ExecStart} is inside the directory).
   */
  public record Holder(long pid, String command, String how) {

    /** How a process that svcreg's own record names is found. */
    public static final String RECORDED = "recorded";
  }

  /** The processes for a message: {@code pid 12 (sleep 1000; cwd), pid 13 (...)}. */
  public String describe() {
    return processes.stream()
        .map(h -> "pid " + h.pid() + " (" + h.command() + "; " + h.how() + ")")
        .collect(Collectors.joining(", "));
  }
}
