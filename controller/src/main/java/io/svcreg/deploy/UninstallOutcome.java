package io.svcreg.deploy;

import java.util.List;

/** The outcome of removing every installed version of a service. */
public sealed interface UninstallOutcome {

  /**
   * These versions were removed (empty when none was installed); {@code kept}: directories of the
   * service not deleted because live processes still run from them (after the process svcreg
   * recorded there, if any, was stopped).
   */
  record Uninstalled(List<String> removed, List<DirectoryInUse> kept) implements UninstallOutcome {
    public Uninstalled {
      removed = List.copyOf(removed);
      kept = List.copyOf(kept);
    }

    /** A removal that kept nothing. */
    public Uninstalled(List<String> removed) {
      this(removed, List.of());
    }
  }

  /** Some files could not be removed. */
  record Failed(String reason, String message) implements UninstallOutcome, Failure {}
}
