package io.svcreg.store;

import static io.svcreg.store.Fixtures.data;
import static io.svcreg.store.Fixtures.installed;
import static io.svcreg.store.Fixtures.lease;
import static io.svcreg.store.Fixtures.network;
import static io.svcreg.store.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Phase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stores written by earlier svcreg versions (entities as JSON strings) open and keep working. */
class StoreFormatIT {

  /** A store written before entities were kept as UTF-8 bytes: its files, as they were. */
  private static final String LEGACY = "legacy-string-holders";

  private static final List<String> LEGACY_FILES =
      List.of(
          "PersistenceTypeDictionary.ptd",
          "svcreg-store",
          "channel_0/channel_0_1.dat",
          "channel_0/transactions_0.sft");

  @TempDir Path tmp;

  private final Fixtures.TestClock clock = new Fixtures.TestClock();

  private Path legacyStore() throws IOException {
    Path dir = tmp.resolve("store");
    for (String name : LEGACY_FILES) {
      Path target = dir.resolve(name);
      Files.createDirectories(target.getParent());
      try (InputStream in =
          Objects.requireNonNull(
              StoreFormatIT.class.getResourceAsStream(LEGACY + "/" + name), name)) {
        Files.copy(in, target);
      }
    }
    return dir;
  }

  @Test
  void open_storeWithJsonStrings_readsEverything() throws IOException {
    try (Store store = Fixtures.open(legacyStore(), clock)) {
      assertThat(store.observed().networks()).containsExactly(network("local"));
      assertThat(store.observed().services())
          .containsExactly(service("db", Phase.STOPPED), service("web", Phase.STOPPED));
      assertThat(store.observed().leases())
          .containsExactly(lease("local", "127.1.0.2", "web"), lease("local", "127.1.0.3", "db"));
      assertThat(store.inventory()).containsExactly(installed("web", "1.0.0"));
      assertThat(store.meta("sourceRevision")).contains("abc123");
      assertThat(store.lastRevision()).isEqualTo(2);
    }
  }

  @Test
  void commit_storeWithJsonStrings_updatesOldAndAddsNewEntities() throws IOException {
    Path dir = legacyStore();
    try (Store store = Fixtures.open(dir, clock)) {
      store.commit(
          new Transaction()
              .putService(service("web"))
              .putService(service("api"))
              .removeService("db")
              .removeLease(lease("local", "127.1.0.3", "db"))
              .addLease(lease("local", "127.1.0.4", "api"))
              .event(Event.SERVICE_REGISTERED, "Service/api", data("api")));
    }
    try (Store store = Fixtures.open(dir, clock)) {
      assertThat(store.observed().services()).containsExactly(service("api"), service("web"));
      assertThat(store.observed().leases())
          .containsExactly(lease("local", "127.1.0.2", "web"), lease("local", "127.1.0.4", "api"));
      assertThat(store.inventory()).containsExactly(installed("web", "1.0.0"));
      assertThat(store.lastRevision()).isEqualTo(3);
    }
  }
}
