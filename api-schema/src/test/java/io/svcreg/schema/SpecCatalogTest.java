package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecCatalogTest {

  @TempDir Path tmp;
  SpecDir dir;
  SpecCatalog catalog;

  @BeforeEach
  void setUp() {
    dir = new SpecDir(tmp);
    for (String n : new String[] {"a", "b", "c"}) {
      dir.pkg(n, "1");
    }
    dir.file("net.yaml", SpecDir.LOCAL_NETWORK);
    dir.file("a.yaml", SpecDir.service("a", "1", "  dependsOn: [b]\n"));
    dir.file("sub/b.yaml", SpecDir.service("b", "1", "").replace("../", "../../"));
    catalog = new SpecCatalog(List.of(dir.specs));
    catalog.rescan();
  }

  /** Gives a file a new modification time, as an editor saving it would. */
  private static void touch(Path p, int seconds) throws IOException {
    Files.setLastModifiedTime(
        p, FileTime.from(Instant.parse("2030-01-01T00:00:00Z").plusSeconds(seconds)));
  }

  @Test
  void rescan_initially_equalsAFullLoad() {
    assertThat(catalog.current()).isEqualTo(dir.load());
    assertThat(catalog.current().services()).hasSize(2);
  }

  @Test
  void update_changedFile_equalsAFullLoad() throws IOException {
    Path a = dir.file("a.yaml", SpecDir.service("a", "1", "  dependsOn: [b]\n  state: stopped\n"));
    touch(a, 1);

    SpecSet updated = catalog.update(a);

    assertThat(updated).isEqualTo(dir.load());
    assertThat(updated.services().get(0).spec().state()).isEqualTo(RunState.STOPPED);
    assertThat(catalog.current()).isSameAs(updated);
  }

  @Test
  void update_fileThatBreaks_holdsItsResourcesAndEqualsAFullLoad() {
    Path b = dir.specs.resolve("sub/b.yaml");
    SpecDir.write(b, SpecDir.service("b", "1", "  bogus: 1\n").replace("../", "../../"));

    SpecSet updated = catalog.update(b);

    assertThat(updated).isEqualTo(dir.load());
    assertThat(updated.held()).containsExactly(ResourceKey.service("b"));
    assertThat(updated.services()).extracting(Service::name).containsExactly("a");
  }

  @Test
  void update_deletedFile_isForgottenAndEqualsAFullLoad() throws IOException {
    Path b = dir.specs.resolve("sub/b.yaml");
    Files.delete(b);

    SpecSet updated = catalog.update(b);

    assertThat(updated).isEqualTo(dir.load());
    assertThat(updated.problems())
        .extracting(Problem::message)
        .anyMatch(m -> m.contains("no service `b`"));
  }

  @Test
  void update_newDirectory_readsItsFiles() {
    dir.file("new/deep/c.yaml", SpecDir.service("c", "1", "").replace("../", "../../../"));

    SpecSet updated = catalog.update(dir.specs.resolve("new"));

    assertThat(updated).isEqualTo(dir.load());
    assertThat(updated.services()).extracting(Service::name).contains("c");
  }

  @Test
  void update_deletedDirectory_forgetsEverythingBelowIt() throws IOException {
    Files.delete(dir.specs.resolve("sub/b.yaml"));
    Files.delete(dir.specs.resolve("sub"));

    SpecSet updated = catalog.update(dir.specs.resolve("sub"));

    assertThat(updated).isEqualTo(dir.load());
    assertThat(updated.files()).doesNotContain(dir.shown("sub/b.yaml"));
  }

  @Test
  void update_dotfilesAndPathsOutsideTheRoots_areIgnored() {
    Path hidden = dir.file(".a.yaml.swp", "garbage: [");
    Path outside = tmp.resolve("elsewhere.yaml");
    SpecDir.write(outside, "garbage: [");

    SpecSet updated = catalog.update(List.of(hidden, outside));

    assertThat(updated).isEqualTo(dir.load());
    assertThat(updated.problems()).isEmpty();
  }

  @Test
  void update_absolutePathOfARelativeRoot_namesTheFileTheSame() {
    Path valid = Path.of("src/test/resources/valid");
    SpecCatalog c = new SpecCatalog(List.of(valid));
    SpecSet before = c.rescan();

    SpecSet after = c.update(valid.resolve("services/web.yaml").toAbsolutePath());

    assertThat(after).isEqualTo(before);
  }

  @Test
  void remove_forgetsTheFile() {
    SpecSet updated = catalog.remove(dir.specs.resolve("a.yaml"));

    assertThat(updated.services()).extracting(Service::name).containsExactly("b");
    assertThat(updated.files()).doesNotContain(dir.shown("a.yaml"));
  }

  @Test
  void rescan_rereadsOnlyChangedFiles() throws IOException {
    Service bBefore = service(catalog.current(), "b");
    Path a = dir.file("a.yaml", SpecDir.service("a", "1", "  dependsOn: [b]\n  env: {X: y}\n"));
    touch(a, 2);

    SpecSet updated = catalog.rescan();

    assertThat(updated).isEqualTo(dir.load());
    assertThat(service(updated, "a").spec().env()).containsEntry("X", "y");
    assertThat(service(updated, "b")).isSameAs(bBefore);
  }

  @Test
  void rescan_changedManifest_rereadsTheFilesUsingIt() throws IOException {
    Path manifest = tmp.resolve("packages/b/manifest.yaml");
    Files.writeString(
        manifest, "name: b\nversion: \"1\"\nservice: {ports: [{name: http, port: 80}]}\n");
    touch(manifest, 3);

    SpecSet updated = catalog.rescan();

    assertThat(updated).isEqualTo(dir.load());
    assertThat(service(updated, "b").spec().endpoints()).hasSize(1);
  }

  @Test
  void update_fileWhoseManifestChanged_usesTheNewManifest() throws IOException {
    Path manifest = tmp.resolve("packages/b/manifest.yaml");
    Files.writeString(
        manifest, "name: b\nversion: \"1\"\nservice: {ports: [{name: http, port: 80}]}\n");
    touch(manifest, 3);
    Path b = dir.specs.resolve("sub/b.yaml");
    touch(b, 4);

    SpecSet updated = catalog.update(b);

    assertThat(updated).isEqualTo(dir.load());
    assertThat(service(updated, "b").spec().endpoints()).hasSize(1);
  }

  @Test
  void update_fileWhoseManifestIsUnchanged_equalsAFullLoad() throws IOException {
    Path a = dir.file("a.yaml", SpecDir.service("a", "1", "  state: stopped\n"));
    touch(a, 1);
    catalog.update(a);
    Path a2 = dir.file("a.yaml", SpecDir.service("a", "1", "  dependsOn: [b]\n"));
    touch(a2, 2);

    SpecSet updated = catalog.update(a2);

    assertThat(updated).isEqualTo(dir.load());
    assertThat(service(updated, "a").spec().dependsOn()).containsExactly("b");
  }

  @Test
  void rescan_missingRoot_isIncompleteSoNothingIsPruned() {
    SpecCatalog c = new SpecCatalog(List.of(dir.specs, tmp.resolve("missing")));

    SpecSet set = c.rescan();

    assertThat(set.complete()).isFalse();
    assertThat(set.services()).hasSize(2);
  }

  @Test
  void update_deletedRootFile_staysIncomplete() throws IOException {
    Path file = dir.specs.resolve("a.yaml");
    SpecCatalog c = new SpecCatalog(List.of(file));
    c.rescan();
    Files.delete(file);

    SpecSet set = c.update(file);

    assertThat(set.complete()).isFalse();
    assertThat(set).isEqualTo(SpecLoader.load(List.of(file)));
  }

  @Test
  void preview_showsTheResultWithoutChangingTheCatalog() {
    SpecSet before = catalog.current();

    SpecSet preview =
        catalog.preview(
            dir.shown("c.yaml"), SpecDir.service("c", "1", "  dependsOn: [a]\n"), dir.specs);

    assertThat(preview.services()).extracting(Service::name).contains("c");
    assertThat(preview.problems()).isEmpty();
    assertThat(catalog.current()).isSameAs(before);
    assertThat(catalog.rescan()).isEqualTo(before);
  }

  @Test
  void preview_replacingAFile_seesTheNewTextOnly() {
    SpecSet preview =
        catalog.preview(
            dir.shown("a.yaml"), SpecDir.service("a", "1", "  dependsOn: [a]\n"), dir.specs);

    assertThat(preview.problems())
        .extracting(Problem::message)
        .containsExactly("a service cannot depend on itself");
    assertThat(preview.held()).containsExactly(ResourceKey.service("a"));
  }

  @Test
  void preview_byPath_namesTheFileAsALoadWouldAndResolvesPackagesFromItsDirectory() {
    Path target = dir.specs.resolve("sub/c.yaml");
    String text = SpecDir.service("c", "1", "").replace("../", "../../");

    SpecSet preview = catalog.preview(target, text);
    SpecDir.write(target, text);

    assertThat(preview).isEqualTo(dir.load());
    assertThat(preview.files()).contains(dir.shown("sub/c.yaml"));
  }

  @Test
  void reload_readsEverythingAgain() {
    assertThat(catalog.reload()).isEqualTo(dir.load());
  }

  private static Service service(SpecSet set, String name) {
    return set.services().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }
}
