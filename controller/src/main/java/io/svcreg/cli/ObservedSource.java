package io.svcreg.cli;

import io.svcreg.ControllerApp;
import io.svcreg.core.ObservedState;
import io.svcreg.core.Snapshot;
import io.svcreg.core.SvcregException;
import io.svcreg.store.StoreCopy;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the observed state of a data directory: from the store when no controller runs (a read-only
 * copy), else from the snapshot the running controller keeps beside it.
 */
final class ObservedSource {

  private ObservedSource() {}

  /** The observed state in {@code data}, and where it came from. */
  static Read read(Path data) {
    Path store = data.resolve("store");
    if (!Files.isDirectory(store)) {
      throw new SvcregException(
          "no controller state in "
              + data
              + " (no "
              + store
              + "); pass the --data DIR of `svcreg serve`");
    }
    try {
      return new Read(StoreCopy.read(store).observed(), "store " + store);
    } catch (SvcregException e) {
      Path snapshot = ControllerApp.snapshotFile(data);
      if (e.getMessage().contains("in use") && Files.isRegularFile(snapshot)) {
        return new Read(Snapshot.read(snapshot), "running controller's snapshot " + snapshot);
      }
      throw e;
    }
  }

  /** An observed state and a description of its source. */
  record Read(ObservedState state, String source) {}
}
