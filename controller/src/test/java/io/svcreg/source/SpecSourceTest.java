package io.svcreg.source;

import static io.svcreg.source.SpecFixtures.network;
import static io.svcreg.source.SpecFixtures.service;
import static io.svcreg.source.SpecFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source's reading, debounce and rescan, with a manual clock and hints given by hand. */
class SpecSourceTest {

  private static final Duration DEBOUNCE = Duration.ofMillis(100);
  private static final Duration RESCAN = Duration.ofSeconds(30);

  @TempDir Path tmp;
  private Path specs;
  private final ManualScheduler scheduler = new ManualScheduler();
  private final List<SpecUpdate> updates = new CopyOnWriteArrayList<>();
  private final AtomicReference<Optional<String>> revision =
      new AtomicReference<>(Optional.empty());
  private SpecSource source;

  @BeforeEach
  void setUp() throws IOException {
    specs = Files.createDirectories(tmp.resolve("specs"));
  }

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
  }

  private void start() {
    SpecSource.Options options =
        SpecSource.Options.DEFAULTS.withDebounce(DEBOUNCE).withRescanInterval(RESCAN);
    source = new SpecSource(specs, options, updates::add, scheduler, d -> revision.get(), false);
    source.begin();
  }

  private SpecUpdate last() {
    return updates.get(updates.size() - 1);
  }

  private Path writeAndHint(String name, String text) {
    Path f = write(specs.resolve(name), text);
    source.hint(f);
    return f;
  }

  @Test
  void begin_existingSpecs_firstUpdateBeforeReturning() {
    write(specs.resolve("net.yaml"), network("local"));

    start();

    assertThat(updates).hasSize(1);
    assertThat(last().changes())
        .containsExactly(Map.entry(ResourceKey.network("local"), KeyChange.ADDED));
    assertThat(source.current()).isSameAs(last());
  }

  @Test
  void hint_burstOfWrites_oneCallAfterQuiet() {
    write(specs.resolve("net.yaml"), network("local"));
    SpecFixtures.pkg(tmp, "a", "1.0.0");
    SpecFixtures.pkg(tmp, "b", "1.0.0");
    SpecFixtures.pkg(tmp, "c", "1.0.0");
    start();

    writeAndHint("a.yaml", service("a", "local", "../packages/a", "1.0.0"));
    scheduler.advance(Duration.ofMillis(60));
    writeAndHint("b.yaml", service("b", "local", "../packages/b", "1.0.0"));
    scheduler.advance(Duration.ofMillis(60));
    writeAndHint("c.yaml", service("c", "local", "../packages/c", "1.0.0"));
    scheduler.advance(Duration.ofMillis(99));
    assertThat(updates).hasSize(1);

    scheduler.advance(Duration.ofMillis(1));

    assertThat(updates).hasSize(2);
    assertThat(last().changes())
        .containsOnlyKeys(
            ResourceKey.service("a"), ResourceKey.service("b"), ResourceKey.service("c"))
        .containsValue(KeyChange.ADDED);
    assertThat(last().specs().problems()).isEmpty();
  }

  @Test
  void hint_endlessBurst_readAtMaxDelay() {
    start();

    for (int i = 0; i < 30; i++) {
      writeAndHint("n" + (i % 3) + ".yaml", network("n" + (i % 3)));
      scheduler.advance(Duration.ofMillis(50));
    }

    // 1.5 s of writes every 50 ms, never 100 ms quiet: read anyway at the 1 s cap.
    assertThat(updates).hasSize(2);
    assertThat(last().specs().networks()).hasSize(3);
    scheduler.advance(DEBOUNCE);
    assertThat(updates).hasSize(2);
  }

  @Test
  void hint_fileRewrittenWithSameContent_noCall() {
    Path f = write(specs.resolve("net.yaml"), network("local"));
    start();

    write(f, network("local") + "# a comment\n");
    source.hint(f);
    scheduler.advance(DEBOUNCE);

    assertThat(updates).hasSize(1);
  }

  @Test
  void rescan_changeWithoutEvent_caughtByPeriodicRescan() {
    start();

    write(specs.resolve("net.yaml"), network("local"));
    scheduler.advance(RESCAN.minusMillis(1));
    assertThat(updates).hasSize(1);

    scheduler.advance(Duration.ofMillis(1));

    assertThat(updates).hasSize(2);
    assertThat(last().changes())
        .containsExactly(Map.entry(ResourceKey.network("local"), KeyChange.ADDED));
  }

  @Test
  void rescan_periodic_keepsRunning() {
    start();

    scheduler.advance(RESCAN.multipliedBy(3));
    write(specs.resolve("net.yaml"), network("local"));
    scheduler.advance(RESCAN);

    assertThat(updates).hasSize(2);
  }

  @Test
  void hint_fileBroken_keyHeldWithLastGood() {
    Path f = write(specs.resolve("net.yaml"), network("local"));
    start();
    Resource good = last().lastGood().get(ResourceKey.network("local"));

    write(f, network("local").replace("type: local", "type: bogus"));
    source.hint(f);
    scheduler.advance(DEBOUNCE);

    SpecUpdate u = last();
    assertThat(u.changes())
        .containsExactly(Map.entry(ResourceKey.network("local"), KeyChange.HELD));
    assertThat(u.newProblems()).singleElement().asString().contains("spec.type");
    assertThat(u.lastGood()).containsEntry(ResourceKey.network("local"), good);
    assertThat(u.effective().resources()).containsExactly(good);
    assertThat(source.lastGood()).containsEntry(ResourceKey.network("local"), good);
  }

  @Test
  void hint_fileUnparseable_removesNothing() {
    write(specs.resolve("a.yaml"), network("a"));
    Path b = write(specs.resolve("b.yaml"), network("b"));
    start();

    write(b, "kind: [unclosed\n");
    source.hint(b);
    scheduler.advance(DEBOUNCE);

    SpecUpdate u = last();
    assertThat(u.specs().complete()).isFalse();
    assertThat(u.changes()).doesNotContainValue(KeyChange.REMOVED);
    assertThat(u.changes()).containsEntry(ResourceKey.network("b"), KeyChange.HELD);
    assertThat(u.effective().networks())
        .extracting(n -> n.name())
        .containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void hint_sameNameInTwoFiles_heldWithBothFilesNamed() {
    write(specs.resolve("a.yaml"), network("shared"));
    start();

    Path b = writeAndHint("b.yaml", network("shared"));
    scheduler.advance(DEBOUNCE);

    SpecUpdate u = last();
    assertThat(u.changes())
        .containsExactly(Map.entry(ResourceKey.network("shared"), KeyChange.HELD));
    assertThat(u.specs().held()).containsExactly(ResourceKey.network("shared"));
    assertThat(u.newProblems())
        .hasSize(2)
        .allSatisfy(p -> assertThat(p.message()).contains("a.yaml").contains("b.yaml"));
    assertThat(u.effective().networks()).hasSize(1);
    assertThat(b).exists();
  }

  @Test
  void hint_fileDeleted_removedKeysReported() throws IOException {
    write(specs.resolve("a.yaml"), network("a"));
    Path b = write(specs.resolve("b.yaml"), network("b") + "---\n" + network("c"));
    start();

    Files.delete(b);
    source.hint(b);
    scheduler.advance(DEBOUNCE);

    assertThat(last().changes())
        .containsExactly(
            Map.entry(ResourceKey.network("b"), KeyChange.REMOVED),
            Map.entry(ResourceKey.network("c"), KeyChange.REMOVED));
    assertThat(last().lastGood()).containsOnlyKeys(ResourceKey.network("a"));
  }

  @Test
  void hint_fileDeletedWhileAnotherUnreadable_keptNotRemoved() throws IOException {
    Path a = write(specs.resolve("a.yaml"), network("a"));
    Path b = write(specs.resolve("b.yaml"), network("b"));
    start();

    Files.write(b, new byte[] {(byte) 0xff, (byte) 0xfe, 'x'});
    Files.delete(a);
    source.hint(a);
    source.hint(b);
    scheduler.advance(DEBOUNCE);

    SpecUpdate u = last();
    assertThat(u.specs().complete()).isFalse();
    assertThat(u.changes())
        .containsExactly(
            Map.entry(ResourceKey.network("a"), KeyChange.HELD),
            Map.entry(ResourceKey.network("b"), KeyChange.HELD));
    assertThat(u.kept()).containsExactly(ResourceKey.network("a"), ResourceKey.network("b"));
    assertThat(u.effective().networks()).hasSize(2);

    Files.delete(b);
    source.hint(b);
    scheduler.advance(DEBOUNCE);

    assertThat(last().changes())
        .containsExactly(
            Map.entry(ResourceKey.network("a"), KeyChange.REMOVED),
            Map.entry(ResourceKey.network("b"), KeyChange.REMOVED));
  }

  @Test
  void hint_directoryCreated_itsFilesRead() {
    start();

    write(specs.resolve("sub/deeper/net.yaml"), network("deep"));
    source.hint(specs.resolve("sub"));
    scheduler.advance(DEBOUNCE);

    assertThat(last().changes())
        .containsExactly(Map.entry(ResourceKey.network("deep"), KeyChange.ADDED));
  }

  @Test
  void hint_dotfilesAndTempFiles_ignored() {
    start();

    for (String name :
        List.of(".hidden.yaml", "#net.yaml#", "net.yaml~", ".net.yaml.swp", ".git/x.yaml")) {
      source.hint(write(specs.resolve(name), network("ignored")));
    }
    scheduler.advance(DEBOUNCE);
    source.rescan();

    assertThat(updates).hasSize(1);
  }

  @Test
  void hint_filesOfAPackageDirectory_ignored() {
    start();

    source.hint(write(specs.resolve("packages/api/manifest.yaml"), "name: api\nversion: 1.0.0\n"));
    source.hint(write(specs.resolve("packages/api/config/app.yml"), "port: 8080\n"));
    source.hint(specs.resolve("packages"));
    scheduler.advance(DEBOUNCE);
    source.rescan();

    assertThat(updates).hasSize(1);
    assertThat(source.current().specs().files()).isEmpty();
  }

  @Test
  void revision_newCommit_reported() {
    write(specs.resolve("net.yaml"), network("local"));
    revision.set(Optional.of("c1"));
    start();
    assertThat(last().sourceRevision()).contains("c1");

    revision.set(Optional.of("c2"));
    write(specs.resolve("net.yaml"), network("local").replace("127.0.0.0/8", "127.0.0.0/16"));
    source.hint(specs.resolve("net.yaml"));
    scheduler.advance(DEBOUNCE);

    assertThat(last().sourceRevision()).contains("c2");
    assertThat(last().changes())
        .containsExactly(Map.entry(ResourceKey.network("local"), KeyChange.CHANGED));
  }

  @Test
  void listener_throws_sourceKeepsGoing() {
    List<SpecUpdate> seen = new CopyOnWriteArrayList<>();
    source =
        new SpecSource(
            specs,
            SpecSource.Options.DEFAULTS,
            u -> {
              seen.add(u);
              throw new IllegalStateException("listener bug");
            },
            scheduler,
            d -> Optional.empty(),
            false);
    source.begin();

    source.hint(write(specs.resolve("a.yaml"), network("a")));
    scheduler.advance(DEBOUNCE);

    assertThat(seen).hasSize(2);
  }

  @Test
  void close_pendingHints_nothingMoreCalled() {
    start();
    source.hint(write(specs.resolve("a.yaml"), network("a")));

    source.close();
    scheduler.advance(RESCAN.multipliedBy(2));

    assertThat(updates).hasSize(1);
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void begin_missingDirectory_problemThenReadOnceCreated() {
    specs = tmp.resolve("later");
    start();
    assertThat(last().specs().complete()).isFalse();
    assertThat(last().newProblems()).singleElement().asString().contains("no such file");

    write(specs.resolve("a.yaml"), network("a"));
    scheduler.advance(RESCAN);

    assertThat(last().specs().complete()).isTrue();
    assertThat(last().changes())
        .containsExactly(Map.entry(ResourceKey.network("a"), KeyChange.ADDED));
  }
}
