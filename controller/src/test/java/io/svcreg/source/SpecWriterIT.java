package io.svcreg.source;

import static io.svcreg.source.SpecFixtures.network;
import static io.svcreg.source.SpecFixtures.pkg;
import static io.svcreg.source.SpecFixtures.read;
import static io.svcreg.source.SpecFixtures.service;
import static io.svcreg.source.SpecFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.schema.Problem;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.Service;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import io.svcreg.source.ApplyResult.Applied;
import io.svcreg.source.ApplyResult.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpecWriterIT {

  @TempDir Path tmp;
  private Path specs;
  private Path in;

  @BeforeEach
  void setUp() throws IOException {
    specs = Files.createDirectories(tmp.resolve("specs"));
    in = Files.createDirectories(tmp.resolve("incoming"));
    pkg(tmp, "a", "1.0.0");
    pkg(tmp, "b", "1.0.0");
    write(specs.resolve("net.yaml"), network("local"));
  }

  /**
   * Every file in the spec directory and its content (no lock file), to prove nothing was written.
   */
  private Map<String, String> snapshot() {
    try (Stream<Path> s = Files.walk(specs)) {
      Map<String, String> out = new TreeMap<>();
      s.filter(Files::isRegularFile).forEach(p -> out.put(specs.relativize(p).toString(), read(p)));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Applied applied(String kindName, Outcome o, Path file) {
    return new Applied(ResourceKey.parse(kindName), o, file);
  }

  @Test
  void apply_serviceOnExistingNetwork_writtenUnderItsName() {
    Path svc = write(in.resolve("a.yaml"), service("a", "local", "../packages/a", "1.0.0"));

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.problems()).isEmpty();
    assertThat(r.ok()).isTrue();
    assertThat(r.resources())
        .containsExactly(applied("Service/a", Outcome.CREATED, specs.resolve("a.yaml")));
    assertThat(r.written()).containsExactly(specs.resolve("a.yaml"));
    assertThat(read(specs.resolve("a.yaml"))).isEqualTo(read(svc));
    try (Stream<Path> s = Files.list(specs)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("net.yaml", "a.yaml");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void apply_sameFileTwice_unchangedAndNotRewritten() throws IOException {
    Path svc = write(in.resolve("a.yaml"), service("a", "local", "../packages/a", "1.0.0"));
    SpecWriter.apply(List.of(svc), specs);
    var before = Files.getLastModifiedTime(specs.resolve("a.yaml"));

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.resources())
        .containsExactly(applied("Service/a", Outcome.UNCHANGED, specs.resolve("a.yaml")));
    assertThat(r.written()).isEmpty();
    assertThat(Files.getLastModifiedTime(specs.resolve("a.yaml"))).isEqualTo(before);
  }

  @Test
  void apply_changedFile_updated() {
    Path svc = write(in.resolve("a.yaml"), service("a", "local", "../packages/a", "1.0.0"));
    SpecWriter.apply(List.of(svc), specs);
    write(svc, service("a", "local", "../packages/a", "1.0.0") + "  env: {LOG: debug}\n");

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.resources())
        .containsExactly(applied("Service/a", Outcome.UPDATED, specs.resolve("a.yaml")));
    assertThat(read(specs.resolve("a.yaml"))).contains("LOG: debug");
  }

  @Test
  void apply_fileReplacedWithFewerResources_removedReported() {
    write(specs.resolve("more.yaml"), network("x") + "---\n" + network("y"));
    Path f = write(in.resolve("more.yaml"), network("x"));

    ApplyResult r = SpecWriter.apply(List.of(f), specs);

    assertThat(r.resources())
        .containsExactly(
            applied("Network/x", Outcome.UNCHANGED, specs.resolve("more.yaml")),
            applied("Network/y", Outcome.REMOVED, specs.resolve("more.yaml")));
  }

  @Test
  void apply_duplicateOfExistingResource_refusedNothingWritten() {
    write(specs.resolve("x.yaml"), network("x"));
    Map<String, String> before = snapshot();
    Path dup = write(in.resolve("also-x.yaml"), network("x"));

    ApplyResult r = SpecWriter.apply(List.of(dup), specs);

    assertThat(r.ok()).isFalse();
    assertThat(r.written()).isEmpty();
    assertThat(r.problems())
        .isNotEmpty()
        .allSatisfy(p -> assertThat(p.message()).contains("x.yaml").contains("also-x.yaml"));
    assertThat(r.problems())
        .extracting(Problem::file)
        .contains(in.resolve("also-x.yaml").toString());
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void apply_cycleCreated_refusedNothingWritten() {
    write(specs.resolve("a.yaml"), service("a", "local", "../packages/a", "1.0.0", "b"));
    write(specs.resolve("b.yaml"), service("b", "local", "../packages/b", "1.0.0"));
    Map<String, String> before = snapshot();
    Path b = write(in.resolve("b.yaml"), service("b", "local", "../packages/b", "1.0.0", "a"));

    ApplyResult r = SpecWriter.apply(List.of(b), specs);

    assertThat(r.ok()).isFalse();
    assertThat(r.problems()).anySatisfy(p -> assertThat(p.message()).contains("cycle"));
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void apply_brokenFileElsewhereInDirectory_stillApplies() {
    write(specs.resolve("broken.yaml"), "kind: [unclosed\n");
    Path svc = write(in.resolve("a.yaml"), service("a", "local", "../packages/a", "1.0.0"));

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.problems()).isEmpty();
    assertThat(specs.resolve("a.yaml")).exists();
  }

  @Test
  void apply_invalidField_problemAtItsLineInTheCallersFile() {
    Path bad =
        write(
            in.resolve("bad.yaml"),
            service("a", "local", "../packages/a", "1.0.0") + "  colour: blue\n");
    Map<String, String> before = snapshot();

    ApplyResult r = SpecWriter.apply(List.of(bad), specs);

    assertThat(r.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo(bad.toString());
              assertThat(p.line()).isEqualTo(8);
              assertThat(p.column()).isEqualTo(3);
              assertThat(p.path()).isEqualTo("spec.colour");
            });
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void apply_unknownNetwork_refusedNamingTheField() {
    Path svc = write(in.resolve("a.yaml"), service("a", "nowhere", "../packages/a", "1.0.0"));

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.path()).isEqualTo("spec.network");
              assertThat(p.line()).isEqualTo(7);
            });
  }

  @Test
  void apply_notASpecName_refused() {
    Path txt = write(in.resolve("a.txt"), network("x"));

    ApplyResult r = SpecWriter.apply(List.of(txt), specs);

    assertThat(r.problems()).singleElement().asString().contains(".yaml or .yml");
  }

  @Test
  void apply_missingFile_refused() {
    ApplyResult r = SpecWriter.apply(List.of(in.resolve("nope.yaml")), specs);

    assertThat(r.problems()).singleElement().asString().contains("no such file");
  }

  @Test
  void apply_directory_keepsPathsBelowIt() {
    write(in.resolve("nets/x.yaml"), network("x"));
    write(in.resolve("nets/deeper/y.yml"), network("y"));
    write(in.resolve(".ignored.yaml"), "not: [yaml");

    ApplyResult r = SpecWriter.apply(List.of(in), specs);

    assertThat(r.problems()).isEmpty();
    assertThat(r.written())
        .containsExactlyInAnyOrder(
            specs.resolve("nets/x.yaml"), specs.resolve("nets/deeper/y.yml"));
    assertThat(specs.resolve(".ignored.yaml")).doesNotExist();
  }

  @Test
  void apply_twoInputsForOneTarget_refused() {
    Path one = write(in.resolve("one/x.yaml"), network("x"));
    Path two = write(in.resolve("two/x.yaml"), network("y"));

    ApplyResult r = SpecWriter.apply(List.of(one, two), specs);

    assertThat(r.problems()).singleElement().asString().contains("would be written to");
  }

  @Test
  void applyText_documents_oneFileEach() {
    String text = network("x") + "---\n" + service("a", "x", "../packages/a", "1.0.0");

    ApplyResult r = SpecWriter.apply(text, specs);

    assertThat(r.problems()).isEmpty();
    assertThat(r.resources())
        .containsExactly(
            applied("Network/x", Outcome.CREATED, specs.resolve("network-x.yaml")),
            applied("Service/a", Outcome.CREATED, specs.resolve("service-a.yaml")));
    assertThat(read(specs.resolve("network-x.yaml"))).isEqualTo(network("x"));
    assertThat(read(specs.resolve("service-a.yaml")))
        .isEqualTo("---\n" + service("a", "x", "../packages/a", "1.0.0"));
  }

  @Test
  void applyText_resourceAloneInAFile_thatFileReplaced() {
    write(specs.resolve("my-service.yaml"), service("a", "local", "../packages/a", "1.0.0"));

    ApplyResult r =
        SpecWriter.apply(
            service("a", "local", "../packages/a", "1.0.0") + "  state: stopped\n", specs);

    assertThat(r.resources())
        .containsExactly(applied("Service/a", Outcome.UPDATED, specs.resolve("my-service.yaml")));
    assertThat(read(specs.resolve("my-service.yaml"))).contains("state: stopped");
    assertThat(specs.resolve("service-a.yaml")).doesNotExist();
  }

  @Test
  void applyText_resourceSharingAFile_refused() {
    write(specs.resolve("both.yaml"), network("x") + "---\n" + network("y"));

    ApplyResult r = SpecWriter.apply("api", network("x"), specs);

    assertThat(r.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo("api");
              assertThat(p.message()).contains("both.yaml").contains("together with other");
            });
  }

  @Test
  void applyText_problemInSecondDocument_lineInTheWholeText() {
    String text = network("x") + "---\n" + service("a", "missing", "../packages/a", "1.0.0");

    ApplyResult r = SpecWriter.apply(text, specs);

    // network: 4 lines, the marker on line 5, the service's spec.network on line 5 + 7.
    assertThat(r.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.file()).isEqualTo(SpecWriter.TEXT_SOURCE);
              assertThat(p.line()).isEqualTo(12);
              assertThat(p.path()).isEqualTo("spec.network");
            });
    assertThat(specs.resolve("network-x.yaml")).doesNotExist();
  }

  @Test
  void applyText_syntaxError_refusedWithPosition() {
    ApplyResult r = SpecWriter.apply("apiVersion: svcreg.io/v1\nkind: [Network\n", specs);

    assertThat(r.ok()).isFalse();
    assertThat(r.problems()).first().extracting(Problem::file).isEqualTo(SpecWriter.TEXT_SOURCE);
    assertThat(r.problems().get(0).line()).isPositive();
  }

  @Test
  void applyText_sameResourceTwice_refused() {
    ApplyResult r = SpecWriter.apply(network("x") + "---\n" + network("x"), specs);

    assertThat(r.problems()).hasSize(2).allSatisfy(p -> assertThat(p.message()).contains("twice"));
    assertThat(specs.resolve("network-x.yaml")).doesNotExist();
  }

  @Test
  void applyText_empty_refused() {
    ApplyResult r = SpecWriter.apply("# nothing here\n", specs);

    assertThat(r.problems()).singleElement().asString().contains("nothing to apply");
  }

  @Test
  void apply_staleLockFileOfACrashedApply_usedAndRemoved() {
    write(specs.resolve(SpecWriter.LOCK_FILE), "left by a killed apply");
    Path svc = write(in.resolve("a.yaml"), service("a", "local", "../packages/a", "1.0.0"));

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.problems()).isEmpty();
    assertThat(specs.resolve(SpecWriter.LOCK_FILE)).doesNotExist();
  }

  @Test
  void apply_refusedIntoNewDirectory_leavesNoDirectory() {
    Path fresh = tmp.resolve("fresh");

    ApplyResult r = SpecWriter.apply(service("a", "nowhere", "../packages/a", "1.0.0"), fresh);

    assertThat(r.ok()).isFalse();
    assertThat(fresh).doesNotExist();
  }

  @Test
  void apply_manyThreadsAtOnce_allAppliedAndNoLockFileLeft() throws Exception {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      files.add(write(in.resolve("n" + i + ".yaml"), network("n" + i)));
    }

    try (var pool = Executors.newFixedThreadPool(4)) {
      List<Future<ApplyResult>> results = new ArrayList<>();
      for (Path f : files) {
        results.add(pool.submit(() -> SpecWriter.apply(List.of(f), specs)));
      }
      for (var r : results) {
        assertThat(r.get().problems()).isEmpty();
      }
    }

    assertThat(snapshot()).hasSize(1 + files.size()).doesNotContainKey(SpecWriter.LOCK_FILE);
  }

  // ---- packages come along ------------------------------------------------------------------

  private static final Path EXAMPLES =
      Path.of(System.getProperty("svcreg.project.root", "..")).resolve("examples");

  /** Every path below {@code dir} (relative), hidden ones included. */
  private static List<String> tree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void apply_examplesDirectory_sameServicesAndEveryPackageResolves() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("x"));

    ApplyResult r = SpecWriter.apply(List.of(EXAMPLES), target);

    assertThat(r.problems()).isEmpty();
    assertThat(r.packages())
        .containsExactlyInAnyOrder(
            target.resolve("packages/store"),
            target.resolve("packages/api"),
            target.resolve("packages/web"));
    SpecSet original = SpecLoader.load(List.of(EXAMPLES));
    SpecSet copy = SpecLoader.load(List.of(target));
    assertThat(copy.problems()).isEmpty();
    assertThat(copy.files()).hasSize(1);
    assertThat(copy.services())
        .extracting(Service::spec)
        .isEqualTo(original.services().stream().map(Service::spec).toList());
    assertThat(copy.services())
        .isNotEmpty()
        .allSatisfy(
            s -> {
              Path pkg = target.resolve(s.spec().packageRef());
              assertThat(pkg.resolve("manifest.yaml")).isRegularFile();
              assertThat(tree(pkg)).isEqualTo(tree(EXAMPLES.resolve(s.spec().packageRef())));
              assertThat(Files.isExecutable(pkg.resolve("scripts/start.sh"))).isTrue();
            });
    assertThat(target.resolve(SpecWriter.LOCK_FILE)).doesNotExist();
    assertThat(tree(target)).noneMatch(p -> p.contains("/.") || p.startsWith("."));
  }

  @Test
  void apply_examplesTwice_packagesNotRewritten() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("x"));
    SpecWriter.apply(List.of(EXAMPLES), target);
    Path manifest = target.resolve("packages/api/manifest.yaml");
    Object inode = Files.readAttributes(manifest, BasicFileAttributes.class).fileKey();

    ApplyResult r = SpecWriter.apply(List.of(EXAMPLES), target);

    assertThat(r.problems()).isEmpty();
    assertThat(r.packages()).isEmpty();
    assertThat(r.written()).isEmpty();
    assertThat(Files.readAttributes(manifest, BasicFileAttributes.class).fileKey())
        .isEqualTo(inode);
  }

  @Test
  void apply_changedPackage_replacedWholeAndNothingLeftBeside() throws IOException {
    Path source = copyOfExamples();
    Path target = Files.createDirectories(tmp.resolve("x"));
    SpecWriter.apply(List.of(source), target);
    write(target.resolve("packages/web/stray.txt"), "only in the old copy\n");
    write(source.resolve("packages/web/config/web.properties"), "changed=yes\n");

    ApplyResult r = SpecWriter.apply(List.of(source), target);

    assertThat(r.problems()).isEmpty();
    assertThat(r.packages()).containsExactly(target.resolve("packages/web"));
    assertThat(read(target.resolve("packages/web/config/web.properties")))
        .isEqualTo("changed=yes\n");
    assertThat(target.resolve("packages/web/stray.txt")).doesNotExist();
    assertThat(tree(target.resolve("packages"))).noneMatch(p -> p.startsWith("."));
  }

  @Test
  void apply_badSpecInDirectory_writesNothing() throws IOException {
    Path source = copyOfExamples();
    write(
        source.resolve("services.yaml"),
        read(source.resolve("services.yaml")) + "  colour: blue\n");
    Path target = Files.createDirectories(tmp.resolve("x"));

    ApplyResult r = SpecWriter.apply(List.of(source), target);

    assertThat(r.ok()).isFalse();
    assertThat(r.problems()).extracting(Problem::path).contains("spec.colour");
    assertThat(tree(target)).isEmpty();
  }

  private Path copyOfExamples() throws IOException {
    Path copy = tmp.resolve("examples");
    try (Stream<Path> s = Files.walk(EXAMPLES)) {
      for (Path p : s.toList()) {
        Files.copy(
            p, copy.resolve(EXAMPLES.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    return copy;
  }

  @ParameterizedTest(name = "package in {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "incoming | packages/c |",
        "specs    |            |",
        "nowhere  |            | :6:12: spec.package: package `packages/c` not found (looked for IN/",
      })
  void apply_singleFile_packageNextToItCopiedInTheSpecDirectoryUsed(
      String where, String written, String problem) {
    if (!where.equals("nowhere")) {
      pkg(where.equals("incoming") ? in : specs, "c", "1.0.0");
    }
    Path svc = write(in.resolve("c.yaml"), service("c", "local", "packages/c", "1.0.0"));

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.packages())
        .isEqualTo(written == null ? List.of() : List.of(specs.resolve(written)));
    assertThat(r.problems())
        .extracting(Problem::toString)
        .hasSize(problem == null ? 0 : 1)
        .allMatch(p -> p.startsWith(svc + problem.replace("IN/", in + "/packages/c)")));
  }

  /** A {@code .tar.gz} holding the manifest of the package directory {@code dir}. */
  private static void tarGzWithManifest(Path dir, Path archive) throws IOException {
    Files.createDirectories(archive.getParent());
    byte[] manifest = Files.readAllBytes(dir.resolve("manifest.yaml"));
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(
            new GzipCompressorOutputStream(Files.newOutputStream(archive)))) {
      TarArchiveEntry e = new TarArchiveEntry("manifest.yaml");
      e.setSize(manifest.length);
      tar.putArchiveEntry(e);
      tar.write(manifest);
      tar.closeArchiveEntry();
    }
  }

  @Test
  void apply_archivePackage_copiedAsAFile() throws IOException {
    Path archive = in.resolve("pkgs/c-1.0.0.tar.gz");
    tarGzWithManifest(pkg(tmp.resolve("c"), "c", "1.0.0"), archive);
    Path svc = write(in.resolve("c.yaml"), service("c", "local", "pkgs/c-1.0.0.tar.gz", "1.0.0"));

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.problems()).isEmpty();
    assertThat(specs.resolve("pkgs/c-1.0.0.tar.gz"))
        .isRegularFile()
        .hasSameBinaryContentAs(archive);
  }

  @Test
  void apply_packageWouldLandOutsideTheSpecDirectory_refusedAtItsLineNothingWritten() {
    pkg(tmp.resolve("elsewhere"), "c", "1.0.0");
    Path svc =
        write(
            in.resolve("sub/c.yaml"), service("c", "local", "../../elsewhere/packages/c", "1.0.0"));
    Map<String, String> before = snapshot();

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.problems())
        .singleElement()
        .asString()
        .startsWith(
            svc
                + ":6:12: spec.package: cannot bring package `../../elsewhere/packages/c` ("
                + tmp.resolve("elsewhere/packages/c")
                + ") along: it would go to "
                + tmp.resolveSibling("elsewhere/packages/c")
                + ", outside the spec directory "
                + specs);
    assertThat(snapshot()).isEqualTo(before);
    assertThat(tmp.resolve("elsewhere/packages/c")).exists();
  }

  @Test
  void apply_packageWouldReplaceSpecFiles_refused() {
    write(specs.resolve("packages/team/x.yaml"), network("x"));
    pkg(in, "team", "1.0.0");
    Path svc = write(in.resolve("t.yaml"), service("team", "local", "packages/team", "1.0.0"));
    Map<String, String> before = snapshot();

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.problems())
        .singleElement()
        .extracting(Problem::message)
        .asString()
        .contains("would replace the spec file " + specs.resolve("packages/team/x.yaml"));
    assertThat(snapshot()).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "., would replace the spec directory",
    ".hidden/c, into the hidden directory `.hidden`",
  })
  void apply_packageWhereNoPackageMayGo_refused(String ref, String why) {
    Path svc = write(in.resolve("t.yaml"), service("c", "local", ref, "1.0.0"));
    write(in.resolve(ref).resolve("manifest.yaml"), "name: c\nversion: \"1.0.0\"\n");
    Map<String, String> before = snapshot();

    ApplyResult r = SpecWriter.apply(List.of(svc), specs);

    assertThat(r.problems()).singleElement().asString().contains(why);
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void apply_twoFilesBringDifferentPackagesToOnePlace_refused() {
    pkg(in.resolve("one"), "c", "1.0.0");
    write(in.resolve("two/packages/c/manifest.yaml"), "name: c\nversion: \"1.0.0\"\n# other\n");
    Path one = write(in.resolve("one/c.yaml"), service("c", "local", "packages/c", "1.0.0"));
    Path two = write(in.resolve("two/d.yaml"), service("c", "local", "packages/c", "1.0.0"));
    Map<String, String> before = snapshot();

    ApplyResult r = SpecWriter.apply(List.of(one, two), specs);

    assertThat(r.problems())
        .anySatisfy(
            p -> assertThat(p.message()).contains("which differs").contains(one.toString()));
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void applyText_uploadedPackage_copiedNextToTheTarget() {
    Path upload = pkg(tmp.resolve("upload"), "c", "1.0.0");

    ApplyResult r =
        SpecWriter.apply(
            "c.yaml",
            service("c", "local", "packages/c", "1.0.0"),
            Map.of("packages/c", upload),
            specs);

    assertThat(r.problems()).isEmpty();
    assertThat(r.packages()).containsExactly(specs.resolve("packages/c"));
    assertThat(read(specs.resolve("service-c.yaml"))).contains("package: packages/c");
  }

  @Test
  void apply_existingFilePermissions_kept() throws IOException {
    Path target = write(specs.resolve("x.yaml"), network("x"));
    Files.setPosixFilePermissions(
        target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));

    SpecWriter.apply(List.of(write(in.resolve("x.yaml"), network("x") + "# changed\n")), specs);

    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-r-----");
    assertThat(read(target)).endsWith("# changed\n");
  }

  @Test
  void apply_manyWhileWatched_watcherNeverSeesAPartialFile() throws IOException {
    // A large spec (a 64 KiB annotation), rewritten again and again while the source rereads the
    // directory every 5 ms: a reader that could see a partly written file would read broken YAML
    // (a held key) or an empty file (a removed key).
    String big = "x".repeat(64 * 1024);
    List<SpecUpdate> updates = new CopyOnWriteArrayList<>();
    SpecSource.Options fast =
        SpecSource.Options.DEFAULTS
            .withDebounce(Duration.ZERO)
            .withRescanInterval(Duration.ofMillis(5));
    int rounds = 40;
    try (SpecSource source = SpecSource.start(specs, fast, updates::add)) {
      for (int i = 0; i < rounds; i++) {
        String text =
            """
            apiVersion: svcreg.io/v1
            kind: Network
            metadata:
              name: big
              annotations: {round: "%d", filler: "%s"}
            spec: {type: local, subnet: 127.0.0.0/8}
            """
                .formatted(i, big);
        ApplyResult r = SpecWriter.apply(text, specs);
        assertThat(r.problems()).isEmpty();
      }
      Waits.atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  source.current().lastGood().get(ResourceKey.network("big")) != null
                      && source
                          .current()
                          .lastGood()
                          .get(ResourceKey.network("big"))
                          .metadata()
                          .annotations()
                          .get("round")
                          .equals(String.valueOf(rounds - 1)));
    }
    assertThat(updates.size()).isGreaterThan(2);
    assertThat(updates).allSatisfy(u -> assertThat(u.specs().problems()).isEmpty());
    assertThat(updates)
        .allSatisfy(
            u ->
                assertThat(u.changes())
                    .doesNotContainValue(KeyChange.HELD)
                    .doesNotContainValue(KeyChange.REMOVED));
    try (Stream<Path> s = Files.list(specs)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("net.yaml", "network-big.yaml");
    }
  }
}
