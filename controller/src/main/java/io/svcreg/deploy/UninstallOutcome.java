package io.svcreg.deploy;

import java.util.List;

/** The outcome of removing every installed version of a service. */
public sealed interface UninstallOutcome {

  /** These versions were removed (empty when none was installed). */
  record Uninstalled(List<String> removed) implements UninstallOutcome {
    public Uninstalled {
      removed = List.copyOf(removed);
    }
  }

  /** Some files could not be removed. */
  record Failed(String reason, String message) implements UninstallOutcome, Failure {}
}
