package io.svcreg.deploy;

import java.util.List;

/**
 * What of svcreg's is on a node ({@link Deployer#records}): the install directories below its
 * install root with their markers, and the run records of its services.
 *
 * @param installs every install directory whose marker names it (its name is the {@link
 *     InstallLayout#directoryName} of the marker's service and version)
 * @param runs every run record whose file name is its service's ({@link RunRecord#fileName})
 */
public record NodeRecords(List<Installed> installs, List<RunRecord> runs) {

  public NodeRecords {
    installs = List.copyOf(installs);
    runs = List.copyOf(runs);
  }

  /**
   * An install directory ({@code home}, on the node) and its marker; {@code complete} when it has
   * the files every package has ({@link InstallLayout#REQUIRED}).
   */
  public record Installed(InstallMarker marker, String home, boolean complete) {}
}
