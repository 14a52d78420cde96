package io.svcreg.source;

import static io.svcreg.source.SpecFixtures.network;
import static io.svcreg.source.SpecFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.schema.ResourceKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source on a real directory: the JDK watcher, the real scheduler. The periodic rescan is set
 * to an hour, so every change seen here came through a watch event.
 */
class SpecSourceIT {

  private static final SpecSource.Options OPTIONS =
      SpecSource.Options.DEFAULTS
          .withDebounce(Duration.ofMillis(50))
          .withRescanInterval(Duration.ofHours(1));

  @TempDir Path tmp;
  private Path specs;
  private final List<SpecUpdate> updates = new CopyOnWriteArrayList<>();
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
    source = SpecSource.start(specs, OPTIONS, updates::add);
  }

  private SpecUpdate awaitUpdate(Predicate<SpecUpdate> p) {
    Waits.atMost(Duration.ofSeconds(10)).until(() -> updates.stream().anyMatch(p));
    return updates.stream().filter(p).findFirst().orElseThrow();
  }

  private static Predicate<SpecUpdate> has(ResourceKey key, KeyChange change) {
    return u -> change.equals(u.changes().get(key));
  }

  @Test
  void start_fileAdded_listenerCalled() {
    start();
    assertThat(updates).hasSize(1);

    write(specs.resolve("net.yaml"), network("local"));

    SpecUpdate u = awaitUpdate(has(ResourceKey.network("local"), KeyChange.ADDED));
    assertThat(u.specs().problems()).isEmpty();
  }

  // Repeated: a subdirectory created while its parent is being watched must not slip through.
  @RepeatedTest(10)
  void start_newSubdirectories_watched() {
    start();

    write(specs.resolve("a/b/c/one.yaml"), network("one"));
    awaitUpdate(has(ResourceKey.network("one"), KeyChange.ADDED));
    write(specs.resolve("a/b/c/two.yaml"), network("two"));
    write(specs.resolve("a/other/three.yaml"), network("three"));

    awaitUpdate(has(ResourceKey.network("two"), KeyChange.ADDED));
    awaitUpdate(has(ResourceKey.network("three"), KeyChange.ADDED));
  }

  @Test
  void start_dotfilesAndTempFiles_ignored() {
    start();

    write(specs.resolve(".hidden.yaml"), network("hidden"));
    write(specs.resolve("#net.yaml#"), network("autosave"));
    write(specs.resolve("net.yaml~"), network("backup"));
    write(specs.resolve(".git/config.yaml"), network("git"));
    write(specs.resolve("real.yaml"), network("real"));

    awaitUpdate(has(ResourceKey.network("real"), KeyChange.ADDED));
    assertThat(source.current().specs().networks())
        .extracting(n -> n.name())
        .containsExactly("real");
  }

  @Test
  void start_packageDirectoryAdded_itsYamlFilesAreNoSpecs() {
    start();

    write(specs.resolve("packages/api/manifest.yaml"), "name: api\nversion: 1.0.0\n");
    write(specs.resolve("packages/api/config/app.yml"), "port: 8080\n");
    write(specs.resolve("packages/api/manifest.yaml"), "name: api\nversion: 1.0.1\n");
    write(specs.resolve("real.yaml"), network("real"));

    awaitUpdate(has(ResourceKey.network("real"), KeyChange.ADDED));
    assertThat(updates).allSatisfy(u -> assertThat(u.specs().problems()).isEmpty());
    assertThat(source.current().specs().files())
        .containsExactly(specs.resolve("real.yaml").toString());
  }

  @Test
  void start_fileBrokenThenDeleted_heldThenRemoved() throws IOException {
    Path f = write(specs.resolve("net.yaml"), network("local"));
    start();

    write(f, network("local").replace("subnet: 127.0.0.0/8", "subnet: 127.0.0.1/8"));
    SpecUpdate held = awaitUpdate(has(ResourceKey.network("local"), KeyChange.HELD));
    assertThat(held.newProblems()).singleElement().asString().contains("spec.subnet");
    assertThat(held.lastGood()).containsKey(ResourceKey.network("local"));

    Files.delete(f);
    SpecUpdate removed = awaitUpdate(has(ResourceKey.network("local"), KeyChange.REMOVED));
    assertThat(removed.lastGood()).isEmpty();
    assertThat(removed.specs().problems()).isEmpty();
  }

  @Test
  void start_subdirectoryDeleted_itsResourcesRemoved() throws IOException {
    write(specs.resolve("keep.yaml"), network("keep"));
    Path sub = write(specs.resolve("sub/gone.yaml"), network("gone")).getParent();
    start();

    Files.delete(sub.resolve("gone.yaml"));
    Files.delete(sub);

    SpecUpdate u = awaitUpdate(has(ResourceKey.network("gone"), KeyChange.REMOVED));
    assertThat(u.changes()).containsOnlyKeys(ResourceKey.network("gone"));
  }

  @Test
  void start_gitCommits_revisionReported() {
    Git git = Git.init(tmp);
    write(specs.resolve("net.yaml"), network("local"));
    String first = git.commitAll("first");
    start();
    assertThat(updates.get(0).sourceRevision()).contains(first);

    write(specs.resolve("net.yaml"), network("local").replace("127.0.0.0/8", "127.0.0.0/16"));
    String second = git.commitAll("narrower loopback");
    awaitUpdate(has(ResourceKey.network("local"), KeyChange.CHANGED));
    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> source.current().sourceRevision().equals(Optional.of(second)));

    write(tmp.resolve("README.md"), "docs only\n");
    String third = git.commitAll("docs");
    SpecUpdate docs = awaitUpdate(u -> u.sourceRevision().equals(Optional.of(third)));
    assertThat(docs.changes()).isEmpty();
  }

  @Test
  void close_running_threadsEnd() {
    start();

    source.close();

    Waits.atMost(Duration.ofSeconds(10))
        .until(
            () ->
                Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(
                        t ->
                            t.isAlive()
                                && (t.getName().equals("svcreg-spec-watch")
                                    || t.getName().equals("svcreg-spec-source"))));
  }
}
