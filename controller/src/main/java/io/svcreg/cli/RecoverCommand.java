package io.svcreg.cli;

import io.svcreg.core.SvcregException;
import io.svcreg.store.StoreRecovery;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code svcreg recover --data DIR --from-backup|--empty}: the operator's choice for a store that
 * is lost or cannot be read, which {@code serve} refuses to replace on its own.
 */
@Command(
    name = "recover",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Recover a controller's store that cannot be read or is missing (serve refuses to start"
          + " then). --from-backup restores the backup serve keeps of the store as it was at its"
          + " last start; --empty starts with an empty store. Nothing is deleted: an unreadable"
          + " store is moved aside, and a store that opens is left alone. Run it while no"
          + " controller uses the data directory.",
      "Exit codes: 0 recovered, 2 nothing to recover, no backup, or the backup is unreadable too."
    })
final class RecoverCommand implements Callable<Integer> {

  private final Output output;

  @Option(
      names = "--data",
      defaultValue = ".svcreg",
      paramLabel = "DIR",
      description = "The controller's data directory (default: ${DEFAULT-VALUE}).")
  Path data;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Choice choice;

  /** Exactly one of the ways to recover. */
  static final class Choice {
    @Option(
        names = "--from-backup",
        required = true,
        description = "Restore DIR/store.bak, the store as it was when serve last started.")
    boolean fromBackup;

    @Option(
        names = "--empty",
        required = true,
        description = "Start with an empty store (services already on the nodes are unknown).")
    boolean empty;
  }

  RecoverCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    Path store = data.resolve("store");
    try {
      String said =
          choice.fromBackup
              ? StoreRecovery.fromBackup(store, InstantSource.system())
              : StoreRecovery.empty(store, InstantSource.system());
      output.out().println("svcreg recover: " + said);
      return Cli.OK;
    } catch (SvcregException e) {
      output.err().println("svcreg recover: " + e.getMessage());
      return Cli.ERROR;
    }
  }
}
