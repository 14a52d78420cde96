package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Package manifests kept across restarts: reused while unchanged, read again when changed. */
class ManifestCacheTest {

  @TempDir Path tmp;
  SpecDir dir;
  Path cache;

  @BeforeEach
  void setUp() {
    dir = new SpecDir(tmp);
    dir.manifest(
        "a",
        """
        name: a
        version: "1"
        description: the a service
        service:
          type: managed_process
          ports:
            - name: http
              port: 8080
              protocol: http
        depends_on: [b]
        requires:
          commands: [sh]
          libraries: [libc.so.6]
        health:
          script: scripts/health.sh
          interval: 2s
          timeout: 500ms
        """);
    dir.pkg("b", "1");
    dir.file("net.yaml", SpecDir.LOCAL_NETWORK);
    dir.file("a.yaml", SpecDir.service("a", "1", ""));
    dir.file("b.yaml", SpecDir.service("b", "1", ""));
    cache = tmp.resolve("manifests.cache");
  }

  /** A catalog as a new process starts one: using the cache, then reading the directory. */
  private SpecCatalog restarted() {
    SpecCatalog c = new SpecCatalog(List.of(dir.specs));
    c.useManifests(cache);
    c.rescan();
    return c;
  }

  private Path manifest(String name) {
    return tmp.resolve("packages").resolve(name).resolve("manifest.yaml");
  }

  /** Rewrites a manifest in place with text of the same length and restores its mtime. */
  private void rewriteKeepingStamp(String name, String from, String to) throws IOException {
    Path m = manifest(name);
    FileTime mtime = Files.getLastModifiedTime(m);
    String text = Files.readString(m);
    assertThat(from).hasSameSizeAs(to);
    Files.writeString(m, text.replace(from, to));
    Files.setLastModifiedTime(m, mtime);
  }

  @Test
  void saveManifests_thenUse_restartEqualsAFullLoad() throws IOException {
    SpecCatalog first = restarted();
    assertThat(first.saveManifests(cache)).isTrue();

    SpecCatalog second = new SpecCatalog(List.of(dir.specs));
    assertThat(second.useManifests(cache)).isEqualTo(2);
    second.rescan();

    assertThat(second.current()).isEqualTo(dir.load());
    assertThat(second.current().problems()).isEmpty();
  }

  @Test
  void read_writtenManifests_roundTripEveryField() throws IOException {
    SpecCatalog first = restarted();
    first.saveManifests(cache);

    Packages packages = new Packages(Display.ofWorkingDirectory(), new Interner());
    Packages.Resolved parsed = packages.resolve(tmp.resolve("packages"), "a");
    Packages.Resolved kept = ManifestCache.read(cache).get(parsed.path());

    assertThat(kept.manifest()).isEqualTo(parsed.manifest());
    assertThat(kept.stamp()).isEqualTo(parsed.stamp());
    assertThat(kept.manifest().health()).isPresent();
    assertThat(kept.manifest().ports()).hasSize(1);
  }

  @Test
  void useManifests_unchangedStamp_manifestNotParsedAgain() throws IOException {
    restarted().saveManifests(cache);
    // same size, same mtime, same inode: the kept manifest is what counts (not re-read)
    rewriteKeepingStamp("a", "8080", "9090");

    SpecCatalog c = restarted();

    assertThat(c.current().services().get(0).spec().endpoints().get(0).port()).isEqualTo(8080);
  }

  @Test
  void useManifests_manifestEdited_readsTheNewManifest() throws IOException {
    restarted().saveManifests(cache);
    Path m = manifest("a");
    Files.writeString(m, Files.readString(m).replace("8080", "9191"));
    Files.setLastModifiedTime(m, FileTime.fromMillis(Files.getLastModifiedTime(m).toMillis() + 5));

    SpecCatalog c = restarted();

    assertThat(c.current()).isEqualTo(dir.load());
    assertThat(c.current().services().get(0).spec().endpoints().get(0).port()).isEqualTo(9191);
  }

  @Test
  void useManifests_manifestReplacedBySameSizeAndTime_readsTheNewFile() throws IOException {
    restarted().saveManifests(cache);
    Path m = manifest("a");
    FileTime mtime = Files.getLastModifiedTime(m);
    Path replacement = m.resolveSibling("manifest.yaml.new");
    Files.writeString(replacement, Files.readString(m).replace("8080", "9292"));
    Files.setLastModifiedTime(replacement, mtime);
    Files.move(replacement, m, StandardCopyOption.REPLACE_EXISTING);

    SpecCatalog c = restarted();

    assertThat(c.current().services().get(0).spec().endpoints().get(0).port()).isEqualTo(9292);
  }

  @Test
  void useManifests_manifestBroken_reportsItsProblem() throws IOException {
    restarted().saveManifests(cache);
    Path m = manifest("b");
    Files.writeString(m, "name: b\nversion: [\n");
    Files.setLastModifiedTime(m, FileTime.fromMillis(Files.getLastModifiedTime(m).toMillis() + 5));

    SpecCatalog c = restarted();

    assertThat(c.current()).isEqualTo(dir.load());
    assertThat(c.current().problems()).isNotEmpty();
  }

  @Test
  void useManifests_tornOrForeignFile_isIgnored() throws IOException {
    restarted().saveManifests(cache);
    byte[] whole = Files.readAllBytes(cache);
    Files.write(cache, java.util.Arrays.copyOf(whole, whole.length / 2));

    SpecCatalog torn = new SpecCatalog(List.of(dir.specs));
    assertThat(torn.useManifests(cache)).isZero();
    torn.rescan();
    assertThat(torn.current()).isEqualTo(dir.load());

    Files.writeString(cache, "{\"not\": \"a cache\"}");
    SpecCatalog foreign = new SpecCatalog(List.of(dir.specs));
    assertThat(foreign.useManifests(cache)).isZero();
    assertThat(new SpecCatalog(List.of(dir.specs)).useManifests(tmp.resolve("none"))).isZero();
  }

  @Test
  void saveManifests_nothingChanged_doesNotRewrite() throws IOException {
    restarted().saveManifests(cache);

    SpecCatalog c = restarted();

    assertThat(c.saveManifests(cache)).isFalse();
    Path m = manifest("b");
    Files.writeString(m, Files.readString(m).replace("version: \"1\"", "version: \"2\""));
    Files.setLastModifiedTime(m, FileTime.fromMillis(Files.getLastModifiedTime(m).toMillis() + 5));
    c.rescan();
    assertThat(c.saveManifests(cache)).isTrue();
  }
}
