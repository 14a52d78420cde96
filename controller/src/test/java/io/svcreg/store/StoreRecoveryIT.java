package io.svcreg.store;

import static io.svcreg.store.Fixtures.data;
import static io.svcreg.store.Fixtures.lease;
import static io.svcreg.store.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.core.ObservedState;
import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.eclipse.store.storage.embedded.types.EmbeddedStorage;
import org.eclipse.store.storage.embedded.types.EmbeddedStorageManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class StoreRecoveryIT {

  private static final String ASIDE = "store.corrupt-20260301T120000Z";

  @TempDir Path tmp;

  private final Fixtures.TestClock clock = new Fixtures.TestClock();

  private Path dir() {
    return tmp.resolve("store");
  }

  /** A store with three services and three events, closed. */
  private ObservedState populate(Path dir) {
    try (Store store = Fixtures.open(dir, clock)) {
      for (int i = 0; i < 3; i++) {
        String name = "svc-" + i;
        store.commit(
            new Transaction()
                .putService(service(name))
                .addLease(lease("local", "127.1.0." + (i + 2), name))
                .event(Event.SERVICE_REGISTERED, "Service/" + name, data(name)));
      }
      return store.observed();
    }
  }

  /** Each file of a store, as EclipseStore lays it out. */
  static Stream<String> storeFiles() {
    return Stream.of(
        "channel_0/channel_0_1.dat",
        "channel_0/transactions_0.sft",
        "PersistenceTypeDictionary.ptd");
  }

  private static void garble(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    new Random(42).nextBytes(bytes);
    Files.write(file, bytes);
  }

  @ParameterizedTest
  @MethodSource("storeFiles")
  void open_garbageInAFile_movesTheStoreAsideAndSaysSo(String file) throws IOException {
    populate(dir());
    Fixtures.open(dir(), clock).close(); // a second start keeps a backup
    garble(dir().resolve(file));
    byte[] garbage = Files.readAllBytes(dir().resolve(file));

    assertThatThrownBy(() -> Fixtures.open(dir(), clock))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith("store " + dir() + " cannot be read (")
        .hasMessageContaining("); moved it to " + tmp.resolve(ASIDE) + "; ")
        .hasMessageContaining(
            tmp.resolve("store.bak") + " holds the state from before its last start; ")
        .hasMessageContaining("svcreg recover --data " + tmp + " --from-backup")
        .hasMessageContaining("svcreg recover --data " + tmp + " --empty")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));

    // what was there is kept byte for byte, and nothing was started in its place
    assertThat(Files.readAllBytes(tmp.resolve(ASIDE).resolve(file))).isEqualTo(garbage);
    assertThat(dir()).doesNotExist();

    // ... also at the next start: an empty store is never started because the old one is gone
    clock.advance(java.time.Duration.ofMinutes(1));
    assertThatThrownBy(() -> Fixtures.open(dir(), clock))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith("store " + dir() + " is missing, but its data directory held one: ")
        .hasMessageContaining(tmp.resolve(ASIDE) + " (an unreadable store moved aside)")
        .hasMessageContaining(tmp.resolve("store.bak") + " (its backup from ")
        .hasMessageContaining("svcreg recover --data " + tmp + " --from-backup");
    assertThat(dir()).doesNotExist();
  }

  @Test
  void open_storeDeletedButItsBackupIsThere_refusesToStartEmpty() throws IOException {
    populate(dir());
    Fixtures.open(dir(), clock).close(); // a second start keeps a backup
    StoreFiles.deleteTree(dir());

    assertThatThrownBy(() -> Fixtures.open(dir(), clock))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith("store " + dir() + " is missing, but its data directory held one: ")
        .hasMessageContaining("svcreg recover --data " + tmp + " --from-backup")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThat(dir()).doesNotExist();
  }

  @ParameterizedTest
  @MethodSource("storeFiles")
  void recoverFromBackup_unreadableStore_restoresTheStateOfTheLastStart(String file)
      throws IOException {
    ObservedState first = populate(dir());
    try (Store store = Fixtures.open(dir(), clock)) { // keeps a backup of `first`
      store.commit(
          new Transaction()
              .removeService("svc-0")
              .event(Event.SERVICE_REMOVED, "Service/svc-0", data("svc-0")));
    }
    garble(dir().resolve(file));

    String said = StoreRecovery.fromBackup(dir(), clock);

    assertThat(said)
        .startsWith("restored store " + dir() + " from its backup " + tmp.resolve("store.bak"))
        .contains("revision 3, 3 services");
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed()).isEqualTo(first);
    }
    assertThat(tmp.resolve(ASIDE)).isDirectory(); // the damaged one is kept
  }

  @Test
  void recoverFromBackup_storeOpens_isRefusedAndLeavesItAlone() {
    populate(dir());
    Fixtures.open(dir(), clock).close();

    assertThatThrownBy(() -> StoreRecovery.fromBackup(dir(), clock))
        .isInstanceOf(SvcregException.class)
        .hasMessage(
            "store "
                + dir()
                + " opens (revision 3, 3 services): there is nothing to recover; it is left as it"
                + " is");
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.lastRevision()).isEqualTo(3);
    }
  }

  @Test
  void recoverFromBackup_noBackup_saysSoAndOffersEmpty() throws IOException {
    populate(dir());
    garble(dir().resolve("channel_0/channel_0_1.dat"));

    assertThatThrownBy(() -> StoreRecovery.fromBackup(dir(), clock))
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("has no backup")
        .hasMessageContaining("svcreg recover --data " + tmp + " --empty");
    assertThat(tmp.resolve(ASIDE)).isDirectory();
  }

  @Test
  void recoverFromBackup_backupUnreadableToo_failsAndKeepsBoth() throws IOException {
    populate(dir());
    Fixtures.open(dir(), clock).close();
    garble(dir().resolve("channel_0/channel_0_1.dat"));
    garble(tmp.resolve("store.bak/channel_0/channel_0_1.dat"));
    byte[] backup = Files.readAllBytes(tmp.resolve("store.bak/channel_0/channel_0_1.dat"));

    assertThatThrownBy(() -> StoreRecovery.fromBackup(dir(), clock))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith(
            "the backup " + tmp.resolve("store.bak") + " cannot be read either");
    assertThat(Files.readAllBytes(tmp.resolve("store.bak/channel_0/channel_0_1.dat")))
        .isEqualTo(backup);
    assertThat(dir()).doesNotExist();
  }

  @Test
  void recoverEmpty_afterAStoreWasLost_startsEmptyAndKeepsWhatWasThere() throws IOException {
    populate(dir());
    Fixtures.open(dir(), clock).close();
    garble(dir().resolve("channel_0/channel_0_1.dat"));
    assertThatThrownBy(() -> Fixtures.open(dir(), clock)).isInstanceOf(SvcregException.class);

    String said = StoreRecovery.empty(dir(), clock);

    assertThat(said)
        .startsWith("started an empty store in " + dir())
        .contains(tmp.resolve(ASIDE).toString())
        .contains(tmp.resolve("store.bak").toString());
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed()).isEqualTo(ObservedState.EMPTY);
    }
    assertThat(tmp.resolve(ASIDE)).isDirectory();
  }

  @Test
  void recoverEmpty_storeOpens_isRefused() {
    populate(dir());

    assertThatThrownBy(() -> StoreRecovery.empty(dir(), clock))
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("there is nothing to recover");
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.lastRevision()).isEqualTo(3);
    }
  }

  @Test
  void open_storeOfAnotherFormatVersion_movesItAsideAndSaysSo() {
    populate(dir());
    EmbeddedStorageManager manager = EmbeddedStorage.start(dir());
    try {
      StoreRoot root = (StoreRoot) manager.root();
      root.formatVersion = 99;
      manager.store(root);
    } finally {
      manager.shutdown();
    }

    assertThatThrownBy(() -> Fixtures.open(dir(), clock))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith(
            "store "
                + dir()
                + " cannot be read (it is in store format 99, this svcreg reads format 1); moved"
                + " it to "
                + tmp.resolve(ASIDE));
    assertThat(tmp.resolve(ASIDE)).isDirectory();
  }

  @Test
  void open_unreadableWithStartFresh_startsEmptyAndSaysWhatHappened() throws IOException {
    populate(dir());
    garble(dir().resolve("channel_0/channel_0_1.dat"));

    try (Store store =
        Store.open(dir(), StoreOptions.defaults().withStartFreshIfUnreadable(true), clock)) {
      assertThat(store.recoveryNotice())
          .hasValueSatisfying(
              n ->
                  assertThat(n)
                      .startsWith("store " + dir() + " cannot be read (")
                      .contains("moved it to " + tmp.resolve(ASIDE))
                      .endsWith("; started an empty store"));
      assertThat(store.observed()).isEqualTo(ObservedState.EMPTY);
      store.commit(new Transaction().event(Event.SPEC_ERROR, "", data("x")));
    }
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.recoveryNotice()).isEmpty();
      assertThat(store.lastRevision()).isEqualTo(1);
    }
    assertThat(tmp.resolve(ASIDE)).isDirectory();
  }

  @Test
  void open_existingStore_keepsABackupOfTheStateBeforeThisSession() throws IOException {
    ObservedState first = populate(dir());
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(
          new Transaction()
              .removeService("svc-0")
              .event(Event.SERVICE_REMOVED, "Service/svc-0", data("svc-0")));
    }

    Path restored = tmp.resolve("restored");
    Files.move(tmp.resolve("store.bak"), restored);
    try (Store store = Fixtures.open(restored, clock)) {
      assertThat(store.observed()).isEqualTo(first);
    }
  }

  @Test
  void open_newStore_hasNoBackupYet() {
    try (Store store = Fixtures.open(dir(), clock)) {
      store.commit(new Transaction().putMeta("k", "v"));
    }
    assertThat(tmp.resolve("store.bak")).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 9, 17, 33})
  void open_tornLastEntryInTransactionLog_cutsItAndKeepsEveryCommit(int tornBytes)
      throws IOException {
    ObservedState state = populate(dir());
    Path log = dir().resolve("channel_0/transactions_0.sft");
    long length = Files.size(log);
    // 0: a zero-filled tail; else the start of a 34-byte entry (its length byte first)
    byte[] tail = new byte[tornBytes == 0 ? 64 : tornBytes];
    if (tornBytes > 0) {
      tail[0] = 34;
    }
    Files.write(log, tail, StandardOpenOption.APPEND);

    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed()).isEqualTo(state);
      assertThat(Files.size(log)).isEqualTo(length);
      store.commit(new Transaction().event(Event.SPEC_ERROR, "", data("after")));
    }
    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.lastRevision()).isEqualTo(4);
    }
  }

  @Test
  void open_leftoversOfAnInterruptedBackup_areReplaced() throws IOException {
    ObservedState state = populate(dir());
    Files.createDirectories(tmp.resolve("store.bak.tmp/junk"));
    Files.createDirectories(tmp.resolve("store.bak.old"));

    try (Store store = Fixtures.open(dir(), clock)) {
      assertThat(store.observed()).isEqualTo(state);
    }
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
          .isEqualTo(List.of("store", "store.bak", "store.lock"));
    }
  }
}
