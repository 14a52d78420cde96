package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.store.Store;
import io.svcreg.store.StoreOptions;
import io.svcreg.store.Transaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code svcreg recover --data DIR --from-backup|--empty} on real store files. */
class RecoverCommandIT {

  @TempDir Path data;

  /** A store opened twice (so it has a backup) holding meta {@code k}. */
  private void storeWithBackup() {
    try (Store s = open()) {
      s.commit(new Transaction().putMeta("k", "before"));
    }
    open().close();
  }

  private Store open() {
    return Store.open(data.resolve("store"), StoreOptions.defaults(), InstantSource.system());
  }

  private void garble(String file) throws IOException {
    Path f = data.resolve("store").resolve(file);
    byte[] bytes = Files.readAllBytes(f);
    new Random(7).nextBytes(bytes);
    Files.write(f, bytes);
  }

  @Test
  void recover_withoutAChoice_isAUsageError() {
    CliRun run = CliRun.of("recover", "--data", data.toString());

    assertThat(run.exitCode()).as("%s", run).isEqualTo(Cli.ERROR);
    assertThat(run.err()).contains("--from-backup").contains("--empty");
  }

  @Test
  void recover_bothChoices_isAUsageError() {
    CliRun run = CliRun.of("recover", "--data", data.toString(), "--from-backup", "--empty");

    assertThat(run.exitCode()).as("%s", run).isEqualTo(Cli.ERROR);
    assertThat(run.err()).contains("mutually exclusive");
  }

  @Test
  void recover_fromBackupOfADamagedStore_restoresItAndServeMayStart() throws IOException {
    storeWithBackup();
    garble("channel_0/channel_0_1.dat");

    CliRun run = CliRun.of("recover", "--data", data.toString(), "--from-backup");

    assertThat(run.exitCode()).as("%s", run).isEqualTo(Cli.OK);
    assertThat(run.out())
        .startsWith("svcreg recover: restored store " + data.resolve("store"))
        .contains("0 services");
    assertThat(run.out().lines()).hasSize(1);
    try (Store s = open()) {
      assertThat(s.meta("k")).contains("before");
    }
  }

  @Test
  void recover_emptyWhenTheStoreOpens_refusesWithExitTwo() {
    storeWithBackup();

    CliRun run = CliRun.of("recover", "--data", data.toString(), "--empty");

    assertThat(run.exitCode()).as("%s", run).isEqualTo(Cli.ERROR);
    assertThat(run.err()).contains("there is nothing to recover");
    try (Store s = open()) {
      assertThat(s.meta("k")).contains("before");
    }
  }

  @Test
  void recover_emptyAfterTheStoreWasDeleted_startsEmpty() throws IOException {
    storeWithBackup();
    io.svcreg.deploy.Trees.delete(data.resolve("store"));

    CliRun run = CliRun.of("recover", "--data", data.toString(), "--empty");

    assertThat(run.exitCode()).as("%s", run).isEqualTo(Cli.OK);
    assertThat(run.out()).startsWith("svcreg recover: started an empty store in ");
    try (Store s = open()) {
      assertThat(s.meta("k")).isEmpty();
    }
  }
}
