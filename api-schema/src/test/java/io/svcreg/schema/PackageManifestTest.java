package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageManifestTest {

  static final String API_MANIFEST =
      """
      name: api
      version: 1.2.3
      description: The public API
      service:
        type: managed_process
        ports:
          - {name: http, port: 8080, protocol: http}
          - {name: metrics, port: 9090}
      depends_on: [db]
      requires:
        commands: [java]
        libraries: [libssl3]
      health:
        script: scripts/health.sh
        interval: 5s
      """;

  @TempDir Path tmp;
  SpecDir dir;

  @BeforeEach
  void setUp() {
    dir = new SpecDir(tmp).manifest("api", API_MANIFEST).pkg("db", "16");
    dir.file("net.yaml", SpecDir.LOCAL_NETWORK);
    dir.file("db.yaml", SpecDir.service("db", "16", ""));
  }

  private Service api(SpecSet set) {
    return set.services().stream().filter(s -> s.name().equals("api")).findFirst().orElseThrow();
  }

  @Test
  void parse_fullManifest_readsEveryField() {
    PackageManifest.Parsed parsed = PackageManifest.parse("manifest.yaml", API_MANIFEST);

    PackageManifest m = ((PackageManifest.Parsed.Ok) parsed).manifest();
    assertThat(m.name()).isEqualTo("api");
    assertThat(m.version()).isEqualTo("1.2.3");
    assertThat(m.description()).isEqualTo("The public API");
    assertThat(m.serviceType()).contains(ExecutionType.MANAGED_PROCESS);
    assertThat(m.ports())
        .containsExactly(
            new Endpoint("http", 8080, Protocol.HTTP), new Endpoint("metrics", 9090, Protocol.TCP));
    assertThat(m.dependsOn()).containsExactly("db");
    assertThat(m.requiredCommands()).containsExactly("java");
    assertThat(m.requiredLibraries()).containsExactly("libssl3");
    assertThat(m.health())
        .contains(
            new HealthCheck(
                "scripts/health.sh", SpecDuration.ofSeconds(5), HealthCheck.DEFAULT_TIMEOUT, 3));
  }

  @Test
  void parse_minimalManifest_hasEmptyDefaults() {
    PackageManifest m =
        ((PackageManifest.Parsed.Ok) PackageManifest.parse("m.yaml", "name: x\nversion: '1'\n"))
            .manifest();

    assertThat(m.description()).isEmpty();
    assertThat(m.serviceType()).isEmpty();
    assertThat(m.ports()).isEmpty();
    assertThat(m.dependsOn()).isEmpty();
    assertThat(m.health()).isEmpty();
  }

  @Test
  void parse_strictManifest_reportsProblemsInTheManifest() {
    PackageManifest.Parsed parsed =
        PackageManifest.parse(
            "m.yaml",
            "name: x\nversion: 1.10\nservice: {type: on, ports: [{name: a, port: 0}]}\n"
                + "requires: {commands: java}\nextra: 1\n");

    assertThat(((PackageManifest.Parsed.Invalid) parsed).problems())
        .extracting(Problem::toString)
        .containsExactly(
            "m.yaml:5:1: extra: unknown field `extra`; allowed: name, version, description,"
                + " service, depends_on, requires, health",
            "m.yaml:2:10: version: `1.10` is read by YAML as a number (1.1); quote it: \"1.10\"",
            "m.yaml:3:17: service.type: `on` is read by YAML as a boolean (true); expected"
                + " managed_process | systemd | docker",
            "m.yaml:3:45: service.ports[0].port: port 0 is out of range; expected 1–65535",
            "m.yaml:4:22: requires.commands: expected a list, got the string \"java\"");
  }

  @Test
  void parse_missingNameAndVersion_areReported() {
    PackageManifest.Parsed parsed = PackageManifest.parse("m.yaml", "description: x\n");

    assertThat(((PackageManifest.Parsed.Invalid) parsed).problems())
        .extracting(Problem::message)
        .containsExactly("missing required field `name`", "missing required field `version`");
  }

  @Test
  void parse_twoDocuments_isAnError() {
    PackageManifest.Parsed parsed =
        PackageManifest.parse("m.yaml", "name: x\nversion: '1'\n---\nname: y\n");

    assertThat(((PackageManifest.Parsed.Invalid) parsed).problems())
        .extracting(Problem::toString)
        .containsExactly("m.yaml:4:1: expected one YAML document in a manifest, found 2");
  }

  @Test
  void parse_dockerManifest_readsItsImage() {
    PackageManifest m =
        ((PackageManifest.Parsed.Ok)
                PackageManifest.parse(
                    "m.yaml",
                    "name: x\nversion: '1'\nservice: {type: docker, image: shop/web:1.2.3}\n"))
            .manifest();

    assertThat(m.serviceType()).contains(ExecutionType.DOCKER);
    assertThat(m.image()).contains("shop/web:1.2.3");
  }

  @Test
  void parse_dockerManifestWithoutImage_isAnErrorAtService() {
    assertThat(problems("name: x\nversion: '1'\nservice:\n  type: docker\n"))
        .containsExactly("m.yaml:3:1: service.image: missing required field `image`");
  }

  @Test
  void parse_imageWithoutTagOrForAnotherType_isAnErrorAtTheImage() {
    assertThat(problems("name: x\nversion: '1'\nservice: {type: docker, image: shop/web}\n"))
        .containsExactly(
            "m.yaml:3:32: service.image: `shop/web` is not an image reference with a tag;"
                + " expected NAME:TAG, e.g. shop/web:1.2.3");
    assertThat(problems("name: x\nversion: '1'\nservice: {type: managed_process, image: web:1}\n"))
        .containsExactly(
            "m.yaml:3:41: service.image: an image is for service.type docker; this package's"
                + " type is managed_process");
  }

  /** The problems of an invalid manifest {@code m.yaml}. */
  private static List<String> problems(String text) {
    return ((PackageManifest.Parsed.Invalid) PackageManifest.parse("m.yaml", text))
        .problems().stream().map(Problem::toString).toList();
  }

  /** A docker package {@code box} version 1. */
  private static final String BOX =
      "name: box\nversion: '1'\nservice: {type: docker, image: box:1}\n";

  // ---- merging into services -----------------------------------------------------------------

  @Test
  void load_dockerPackage_runsWithDockerExecutionOnly() {
    dir.manifest("box", BOX);
    dir.file("ok.yaml", SpecDir.service("box", "1", "  execution: {type: docker}\n"));

    assertThat(dir.load().problems()).isEmpty();
  }

  @Test
  void load_executionTypeContradictingTheManifest_isAnErrorAtTheField() {
    dir.manifest("box", BOX);
    dir.file("box.yaml", SpecDir.service("box", "1", "  execution: {type: managed_process}\n"));
    dir.file("api.yaml", SpecDir.service("api", "1.2.3", "  execution: {type: docker}\n"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            dir.shown("api.yaml")
                + ":8:21: spec.execution.type: the package `../packages/api` says service.type"
                + " managed_process in its manifest, which execution type docker cannot run;"
                + " make them agree",
            dir.shown("box.yaml")
                + ":8:21: spec.execution.type: the package `../packages/box` says service.type"
                + " docker in its manifest, which execution type managed_process cannot run; make"
                + " them agree");
  }

  @Test
  void load_dockerPackageWithoutExecution_isAnErrorAtThePackage() {
    dir.manifest("box", BOX);
    dir.file("box.yaml", SpecDir.service("box", "1", ""));

    assertThat(dir.load().problems())
        .extracting(Problem::message)
        .containsExactly(
            "the package `../packages/box` says service.type docker in its manifest, which"
                + " execution type managed_process cannot run; set execution: {type: docker}"
                + " (the default is managed_process)");
  }

  @Test
  void load_serviceWithoutOverrides_takesEndpointsDependsOnAndHealthFromTheManifest() {
    dir.file("api.yaml", SpecDir.service("api", "1.2.3", ""));

    SpecSet set = dir.load();

    assertThat(set.problems()).isEmpty();
    ServiceSpec spec = api(set).spec();
    assertThat(spec.endpoints())
        .containsExactly(
            new Endpoint("http", 8080, Protocol.HTTP), new Endpoint("metrics", 9090, Protocol.TCP));
    assertThat(spec.dependsOn()).containsExactly("db");
    assertThat(spec.health().orElseThrow().script()).isEqualTo("scripts/health.sh");
  }

  @Test
  void load_specFields_replaceTheManifestDefaults() {
    dir.file(
        "api.yaml",
        SpecDir.service(
            "api",
            "1.2.3",
            "  endpoints: []\n  dependsOn: []\n  health: {script: bin/ok, failureThreshold: 1}\n"));

    SpecSet set = dir.load();

    assertThat(set.problems()).isEmpty();
    ServiceSpec spec = api(set).spec();
    assertThat(spec.endpoints()).isEmpty();
    assertThat(spec.dependsOn()).isEmpty();
    assertThat(spec.health())
        .contains(
            new HealthCheck(
                "bin/ok", HealthCheck.DEFAULT_INTERVAL, HealthCheck.DEFAULT_TIMEOUT, 1));
  }

  @Test
  void load_defaultsFromManifestOrSpelledOut_giveTheSameHash() {
    dir.file("api.yaml", SpecDir.service("api", "1.2.3", ""));
    String fromManifest = api(dir.load()).specHash();
    dir.file(
        "api.yaml",
        SpecDir.service(
            "api",
            "1.2.3",
            """
              endpoints: [{name: http, port: 8080, protocol: http}, {name: metrics, port: 9090}]
              dependsOn: [db]
              health: {script: scripts/health.sh, interval: 5s}
            """));

    assertThat(api(dir.load()).specHash()).isEqualTo(fromManifest);
  }

  @Test
  void load_manifestContradictingNameOrVersion_isAnErrorAtTheSpecField() {
    dir.file(
        "api.yaml",
        SpecDir.service("web", "1.2.4", "").replace("../packages/web", "../packages/api"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            dir.shown("api.yaml")
                + ":3:18: metadata.name: the package `../packages/api` is named `api` in its"
                + " manifest, not `web`",
            dir.shown("api.yaml")
                + ":5:12: spec.version: version 1.2.4 contradicts the package `../packages/api`,"
                + " whose manifest says version 1.2.3");
    assertThat(set.held()).containsExactly(ResourceKey.service("web"));
  }

  @Test
  void load_manifestDependencyMissing_pointsAtThePackageField() {
    dir.file("api.yaml", SpecDir.service("api", "1.2.3", ""));
    dir.file("db.yaml", "");

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            dir.shown("api.yaml")
                + ":6:12: spec.package: no service `db` is declared; declared: api"
                + " (listed in depends_on of the package's manifest)");
  }

  @Test
  void load_brokenManifestUsedTwice_isReportedOnceInTheManifest() {
    dir.manifest("x", "name: x\nversion: '1'\nbogus: true\n");
    dir.file("x.yaml", SpecDir.service("x", "1", ""));
    dir.file("y.yaml", SpecDir.service("y", "1", "").replace("../packages/y", "../packages/x"));

    SpecSet set = dir.load();

    String manifest = tmp.resolve("packages/x/manifest.yaml").toString();
    assertThat(set.problems()).filteredOn(p -> p.file().equals(manifest)).hasSize(1);
    assertThat(set.problems())
        .filteredOn(p -> p.path().equals("spec.package"))
        .extracting(Problem::message)
        .containsOnly("package `../packages/x` has an invalid manifest (see " + manifest + ")");
  }

  // ---- archives ------------------------------------------------------------------------------

  private Path archive(String name, String entry, String content) throws IOException {
    Path p = tmp.resolve("packages").resolve(name);
    Files.createDirectories(p.getParent());
    try (OutputStream out = Files.newOutputStream(p);
        GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
      byte[] big = new byte[4096];
      TarArchiveEntry bin = new TarArchiveEntry("bin/server");
      bin.setSize(big.length);
      tar.putArchiveEntry(bin);
      tar.write(big);
      tar.closeArchiveEntry();
      if (entry != null) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(entry);
        e.setSize(bytes.length);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
      }
    }
    return p;
  }

  @Test
  void load_tarGzPackage_readsItsManifestEntry() throws IOException {
    archive("api-1.2.3.tar.gz", "./manifest.yaml", API_MANIFEST);
    dir.file(
        "api.yaml",
        SpecDir.service("api", "1.2.3", "")
            .replace("../packages/api", "../packages/api-1.2.3.tar.gz"));

    SpecSet set = dir.load();

    assertThat(set.problems()).isEmpty();
    assertThat(api(set).spec().packageRef()).isEqualTo("../packages/api-1.2.3.tar.gz");
    assertThat(api(set).spec().endpoints()).hasSize(2);
  }

  @Test
  void load_tarGzWithoutManifest_isAnError() throws IOException {
    archive("api.tar.gz", null, null);
    dir.file(
        "api.yaml",
        SpecDir.service("api", "1.2.3", "").replace("../packages/api", "../packages/api.tar.gz"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::message)
        .containsExactly(
            "package `../packages/api.tar.gz` ("
                + tmp.resolve("packages/api.tar.gz")
                + ") contains no manifest.yaml");
  }

  @Test
  void load_tarGzWithBrokenManifest_locatesProblemsInsideTheArchive() throws IOException {
    archive("api.tar.gz", "manifest.yaml", "name: api\nversion: 1.2.3\nport: 1\n");
    dir.file(
        "api.yaml",
        SpecDir.service("api", "1.2.3", "").replace("../packages/api", "../packages/api.tar.gz"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::toString)
        .contains(
            tmp.resolve("packages/api.tar.gz")
                + "!/manifest.yaml:3:1: port: unknown field `port`; allowed: name, version,"
                + " description, service, depends_on, requires, health");
  }

  @Test
  void load_oversizedManifestInArchive_isRefused() throws IOException {
    archive("api.tar.gz", "manifest.yaml", "# " + "x".repeat(Packages.MAX_MANIFEST_BYTES) + "\n");
    dir.file(
        "api.yaml",
        SpecDir.service("api", "1.2.3", "").replace("../packages/api", "../packages/api.tar.gz"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::message)
        .singleElement()
        .asString()
        .contains("manifest.yaml is larger than 1 MiB");
  }

  @Test
  void load_packageThatIsAPlainFile_isAnError() throws IOException {
    Files.createDirectories(tmp.resolve("packages"));
    Files.writeString(tmp.resolve("packages/api.zip"), "PK");
    dir.file(
        "api.yaml",
        SpecDir.service("api", "1.2.3", "").replace("../packages/api", "../packages/api.zip"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::message)
        .containsExactly(
            "package `../packages/api.zip` must be a directory or a .tar.gz file (found "
                + tmp.resolve("packages/api.zip")
                + ")");
  }

  @Test
  void load_corruptArchive_isAnErrorNotACrash() throws IOException {
    Files.createDirectories(tmp.resolve("packages"));
    Files.writeString(tmp.resolve("packages/api.tar.gz"), "not gzip");
    dir.file(
        "api.yaml",
        SpecDir.service("api", "1.2.3", "").replace("../packages/api", "../packages/api.tar.gz"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::message)
        .singleElement()
        .asString()
        .startsWith("cannot read package `../packages/api.tar.gz`");
    assertThat(set.held()).containsExactly(ResourceKey.service("api"));
  }

  @Test
  void load_manyServicesSharingAPackage_readTheManifestOnce() {
    Packages packages = new Packages(Display.ofWorkingDirectory(), new Interner());

    Packages.Resolved a = packages.resolve(dir.specs, "../packages/api");
    Packages.Resolved b = packages.resolve(dir.specs.resolve("sub/.."), "../packages/api");

    assertThat(b).isSameAs(a);
    assertThat(a.manifest().ports()).isSameAs(b.manifest().ports());
    assertThat(packages.stamps()).containsOnlyKeys(tmp.resolve("packages/api").toString());
    assertThat(Optional.ofNullable(a.error())).isEmpty();
    assertThat(List.of(a.path())).containsExactly(tmp.resolve("packages/api"));
  }
}
