package io.svcreg.cli;

import io.svcreg.FleetRebuild;
import io.svcreg.core.SvcregException;
import io.svcreg.store.StoreRecovery;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code svcreg recover --data DIR --from-backup|--empty|--from-fleet --specs DIR}: the operator's
 * choice for a store that is lost or cannot be read, which {@code serve} refuses to replace on its
 * own.
 */
@Command(
    name = "recover",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Recover a controller's store that cannot be read or is missing (serve refuses to start"
          + " then). --from-backup restores the backup serve keeps of the store as it was at its"
          + " last start; --empty starts with an empty store. Nothing is deleted: an unreadable"
          + " store is moved aside, and a store that opens is left alone. --from-fleet rebuilds"
          + " the store from the specs (--specs) and the nodes they declare: every service whose"
          + " run record on its node names a process that still runs is adopted as it runs (same"
          + " address, process, version, previous version), with its lease; on this host a"
          + " process found by its environment when its run record is gone too; one no longer"
          + " declared is adopted for the next serve to remove; services that are stopped or"
          + " whose process ended keep their addresses; install directories of declared services"
          + " are recorded; the rest is listed. Published registry entries"
          + " are not on the nodes and cannot be rebuilt. Run it while no controller uses the"
          + " data directory.",
      "Exit codes: 0 recovered, 2 nothing to recover, no backup, the backup is unreadable too,"
          + " or (--from-fleet) something found was not adopted: the store holds what was, the"
          + " rest is listed."
    })
final class RecoverCommand implements Callable<Integer> {

  private final Output output;

  @Option(
      names = "--data",
      defaultValue = ".svcreg",
      paramLabel = "DIR",
      description = "The controller's data directory (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(
      names = "--specs",
      paramLabel = "DIR",
      description = "With --from-fleet: the controller's spec directory.")
  Path specs;

  @Option(
      names = "--install-root",
      paramLabel = "DIR",
      description =
          "With --from-fleet: where packages of local networks are installed (default:"
              + " {data}/opt).")
  Path installRoot;

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

    @Option(
        names = "--from-fleet",
        required = true,
        description =
            "Rebuild the store from --specs and the run records and install markers on the"
                + " declared nodes and the controller's host.")
    boolean fromFleet;
  }

  RecoverCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    Path store = data.resolve("store");
    if (choice.fromFleet) {
      return fromFleet();
    }
    if (specs != null || installRoot != null) {
      output.err().println("svcreg recover: --specs and --install-root go with --from-fleet");
      return Cli.ERROR;
    }
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

  private Integer fromFleet() {
    if (specs == null) {
      output
          .err()
          .println("svcreg recover: --from-fleet needs --specs DIR (the controller's specs)");
      return Cli.ERROR;
    }
    FleetRebuild.Report report;
    try {
      report =
          FleetRebuild.run(
              specs,
              data,
              installRoot != null ? installRoot : data.resolve("opt"),
              InstantSource.system());
    } catch (SvcregException e) {
      output.err().println("svcreg recover: " + e.getMessage());
      return Cli.ERROR;
    }
    output
        .out()
        .println(
            "svcreg recover: rebuilt store "
                + report.store()
                + " from the fleet: adopted "
                + report.adopted().size()
                + (report.adopted().size() == 1 ? " running service" : " running services")
                + StoreRecovery.kept(report.store()));
    report.adopted().forEach(a -> output.out().println("  adopted " + a));
    report.notRunning().forEach(n -> output.out().println("  not running: " + n));
    if (!report.complete()) {
      output.out().println("not accounted for (left as it is on the nodes):");
      report.unaccounted().forEach(u -> output.out().println("  " + u));
    }
    output.out().println("svcreg recover: " + FleetRebuild.REGISTRY_LOST);
    return report.complete() ? Cli.OK : Cli.ERROR;
  }
}
