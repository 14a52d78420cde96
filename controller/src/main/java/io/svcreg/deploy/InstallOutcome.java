package io.svcreg.deploy;

import java.util.List;

/** The outcome of installing a version of a service's package. */
public sealed interface InstallOutcome {

  /**
   * The version is installed in {@code home}; {@code changed} is false when it already was with
   * identical content; {@code removed} lists older versions pruned (only the new and the previous
   * version are kept); {@code kept}: directories of the service that were to be deleted (older
   * versions, leftovers of interrupted installs) but were kept because live processes run from
   * them.
   */
  record Installed(
      String version, String home, boolean changed, List<String> removed, List<DirectoryInUse> kept)
      implements InstallOutcome {
    public Installed {
      removed = List.copyOf(removed);
      kept = List.copyOf(kept);
    }

    /** An install that kept nothing it was to delete. */
    public Installed(String version, String home, boolean changed, List<String> removed) {
      this(version, home, changed, removed, List.of());
    }
  }

  /** Nothing was installed (a version already installed is left as it was). */
  record Failed(String reason, String message) implements InstallOutcome, Failure {}
}
