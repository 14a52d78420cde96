package io.svcreg.pkg;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Building package archives from real directories: reproducible bytes, modes, links, checks. */
class PackageBuildIT {

  private static final Path EXAMPLES =
      Path.of(System.getProperty("svcreg.project.root", "..")).resolve("examples/packages");

  @TempDir Path tmp;

  private final PackageBuilder builder = new PackageBuilder(Instant.EPOCH);

  /** A package directory with a manifest, the scripts, a read-only config and a link. */
  private Path demo(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("scripts"));
    Files.createDirectories(dir.resolve("bin"));
    Files.createDirectories(dir.resolve("config"));
    Files.writeString(dir.resolve("manifest.yaml"), "name: demo\nversion: \"1.2.3\"\n");
    script(dir.resolve("scripts/start.sh"), "exec sleep 1000");
    script(dir.resolve("scripts/stop.sh"), "exit 0");
    Files.writeString(dir.resolve("bin/tool"), "#!/bin/sh\necho tool\n");
    setMode(dir.resolve("bin/tool"), 0750);
    Files.writeString(dir.resolve("config/app.properties"), "a=1\n");
    setMode(dir.resolve("config/app.properties"), 0600);
    Files.createSymbolicLink(dir.resolve("bin/run"), Path.of("../scripts/start.sh"));
    return dir;
  }

  static void script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n");
    setMode(file, 0755);
  }

  static void setMode(Path file, int mode) throws IOException {
    StringBuilder b = new StringBuilder();
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      b.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(b.toString()));
  }

  /** The entries of an archive: name, type, mode, uid/gid, owner names, time, link target. */
  static List<String> entries(Path archive) throws IOException {
    List<String> out = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive));
        TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        out.add(
            e.getName()
                + " "
                + Integer.toOctalString(e.getMode())
                + " "
                + e.getLongUserId()
                + ":"
                + e.getLongGroupId()
                + " '"
                + e.getUserName()
                + "':'"
                + e.getGroupName()
                + "' "
                + e.getLastModifiedTime().toInstant().getEpochSecond()
                + (e.isSymbolicLink() ? " -> " + e.getLinkName() : ""));
      }
    }
    return out;
  }

  static String entryText(Path archive, String name) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive));
        TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (e.getName().equals(name)) {
          return new String(tar.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    throw new AssertionError(name + " not in " + archive);
  }

  @Test
  void build_sameDirectoryTwice_identicalBytes() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    PackageBuilder.Built a = builder.build(dir, tmp.resolve("a.tar.gz"));
    Files.setLastModifiedTime(dir.resolve("manifest.yaml"), FileTime.from(Instant.now()));
    PackageBuilder.Built b = builder.build(dir, tmp.resolve("b.tar.gz"));

    assertThat(Files.readAllBytes(b.file())).isEqualTo(Files.readAllBytes(a.file()));
    assertThat(b.sha256()).isEqualTo(a.sha256()).hasSize(64);
    assertThat(a.size()).isEqualTo(Files.size(a.file()));
    assertThat(a.manifest().name()).isEqualTo("demo");
  }

  @Test
  void build_copyWithOtherTimesAndOwners_identicalBytes() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Path copy = demo(tmp.resolve("copy"));
    try (Stream<Path> walk = Files.walk(copy)) {
      for (Path p : walk.toList()) {
        Files.setAttribute(p, "unix:uid", 4321, NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", 4321, NOFOLLOW_LINKS);
        if (!Files.isSymbolicLink(p)) {
          Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2001-02-03T04:05:06Z")));
        }
      }
    }
    byte[] a = Files.readAllBytes(builder.build(dir, tmp.resolve("a.tar.gz")).file());
    byte[] b = Files.readAllBytes(builder.build(copy, tmp.resolve("b.tar.gz")).file());

    assertThat(b).isEqualTo(a);
  }

  @Test
  void build_archive_sortedEntriesWithDirectoriesModesFixedOwnersAndLinks() throws Exception {
    Path archive = builder.build(demo(tmp.resolve("demo")), tmp.resolve("demo.tar.gz")).file();

    assertThat(entries(archive))
        .containsExactly(
            "CHECKSUMS.sha256 100644 0:0 '':'' 0",
            "bin/ 40755 0:0 '':'' 0",
            "bin/run 120777 0:0 '':'' 0 -> ../scripts/start.sh",
            "bin/tool 100750 0:0 '':'' 0",
            "config/ 40755 0:0 '':'' 0",
            "config/app.properties 100600 0:0 '':'' 0",
            "manifest.yaml 100644 0:0 '':'' 0",
            "scripts/ 40755 0:0 '':'' 0",
            "scripts/start.sh 100755 0:0 '':'' 0",
            "scripts/stop.sh 100755 0:0 '':'' 0");
    byte[] gz = Files.readAllBytes(archive);
    assertThat(gz[3] & 0x08).as("no file name in the gzip header").isZero();
    assertThat(new byte[] {gz[4], gz[5], gz[6], gz[7]})
        .as("no time in the gzip header")
        .containsOnly(0);
  }

  @Test
  void build_checksumList_isSha256sumFormatOfEveryRegularFileSorted() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Path archive = builder.build(dir, tmp.resolve("demo.tar.gz")).file();

    List<String> lines = entryText(archive, "CHECKSUMS.sha256").lines().toList();
    assertThat(lines)
        .extracting(l -> l.substring(66))
        .containsExactly(
            "bin/tool",
            "config/app.properties",
            "manifest.yaml",
            "scripts/start.sh",
            "scripts/stop.sh");
    try (InputStream in = Files.newInputStream(dir.resolve("bin/tool"))) {
      assertThat(lines.get(0)).isEqualTo(Checksums.sha256(in) + "  bin/tool");
    }
  }

  @Test
  void build_sourceDateEpoch_stampsEveryEntry() throws Exception {
    Path archive =
        new PackageBuilder(Instant.ofEpochSecond(1_700_000_000))
            .build(demo(tmp.resolve("demo")), tmp.resolve("demo.tar.gz"))
            .file();

    assertThat(entries(archive)).allMatch(e -> e.contains(" 1700000000"));
  }

  @Test
  void build_staleChecksumListInDirectory_isReplaced() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Files.writeString(dir.resolve("CHECKSUMS.sha256"), "stale\n");
    Path archive = builder.build(dir, tmp.resolve("demo.tar.gz")).file();

    assertThat(new PackageVerifier(PackageVerifier.Limits.DEFAULT).verify(archive).problems())
        .isEmpty();
  }

  @Test
  void build_outputInsideTheDirectory_isNotPackedIntoItself() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    byte[] first = Files.readAllBytes(builder.build(dir, dir.resolve("demo.tar.gz")).file());
    byte[] second = Files.readAllBytes(builder.build(dir, dir.resolve("demo.tar.gz")).file());

    assertThat(second).isEqualTo(first);
    assertThat(entries(dir.resolve("demo.tar.gz"))).noneMatch(e -> e.startsWith("demo.tar.gz"));
  }

  @Test
  void build_examplePackages_verifyValid() throws Exception {
    PackageVerifier verifier = new PackageVerifier(PackageVerifier.Limits.DEFAULT);
    for (String name : List.of("store", "api", "web")) {
      Path archive = builder.build(EXAMPLES.resolve(name), tmp.resolve(name + ".tar.gz")).file();
      PackageVerifier.Report r = verifier.verify(archive);
      assertThat(r.problems()).as(name).isEmpty();
      assertThat(r.manifest().orElseThrow().name()).isEqualTo(name);
    }
  }

  @Test
  void build_dockerPackageWithoutScripts_verifiesValid() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("box"));
    Files.writeString(
        dir.resolve("manifest.yaml"),
        "name: box\nversion: \"1\"\nservice: {type: docker, image: shop/box:1}\n");
    Files.write(dir.resolve("image.tar"), new byte[] {1, 2, 3});

    Path archive = builder.build(dir, tmp.resolve("box.tar.gz")).file();

    PackageVerifier.Report r = new PackageVerifier(PackageVerifier.Limits.DEFAULT).verify(archive);
    assertThat(r.problems()).isEmpty();
    assertThat(r.manifest().orElseThrow().image()).contains("shop/box:1");
  }

  @Test
  void build_symlinkLeadingOutside_isRefusedAndNothingWritten() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Files.createSymbolicLink(dir.resolve("config/passwd"), Path.of("../../../../etc/passwd"));

    assertThatThrownBy(() -> builder.build(dir, tmp.resolve("out.tar.gz")))
        .isInstanceOf(PackageException.class)
        .hasMessage(
            "the symbolic link `config/passwd` points outside the package"
                + " (../../../../etc/passwd)");
    assertThat(tmp.resolve("out.tar.gz")).doesNotExist();
    try (Stream<Path> list = Files.list(tmp)) {
      assertThat(list).as("no temporary file left").hasSize(1);
    }
  }

  @Test
  void build_symlinkThroughAnotherLinkLeadingOutside_isRefused() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Files.createSymbolicLink(dir.resolve("config/up"), Path.of(".."));
    Files.createSymbolicLink(dir.resolve("sneaky"), Path.of("config/up/.."));

    assertThatThrownBy(() -> builder.build(dir, tmp.resolve("out.tar.gz")))
        .hasMessageContaining("the symbolic link `sneaky` points outside the package");
  }

  @Test
  void build_absoluteSymlink_isRefused() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Files.createSymbolicLink(dir.resolve("bin/sh"), Path.of("/bin/sh"));

    assertThatThrownBy(() -> builder.build(dir, tmp.resolve("out.tar.gz")))
        .hasMessageContaining("the symbolic link `bin/sh` points to the absolute path /bin/sh");
  }

  @Test
  void build_fifo_isRefused() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Process p = new ProcessBuilder("mkfifo", dir.resolve("bin/pipe").toString()).start();
    assertThat(p.waitFor()).isZero();

    assertThatThrownBy(() -> builder.build(dir, tmp.resolve("out.tar.gz")))
        .hasMessageContaining("`bin/pipe` is a device, fifo or socket");
  }

  @Test
  void build_invalidManifest_problemsWithFileLineAndField() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Files.writeString(dir.resolve("manifest.yaml"), "name: Demo!\nversion: \"1.0\"\ncolour: red\n");

    assertThatThrownBy(() -> builder.build(dir, tmp.resolve("out.tar.gz")))
        .isInstanceOfSatisfying(
            PackageException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(2)
                    .anySatisfy(p -> assertThat(p).contains("manifest.yaml:1:7: name: "))
                    .anySatisfy(
                        p -> assertThat(p).contains("manifest.yaml:3:1").contains("colour")));
  }

  @Test
  void build_missingManifest_saysWhatIsNeeded() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Files.delete(dir.resolve("manifest.yaml"));

    assertThatThrownBy(() -> builder.build(dir, tmp.resolve("out.tar.gz")))
        .hasMessage(
            "the package has no manifest.yaml at its root (name, version and what the service"
                + " needs)");
  }

  @Test
  void build_stopScriptMissingAndStartNotExecutable_bothReported() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Files.delete(dir.resolve("scripts/stop.sh"));
    setMode(dir.resolve("scripts/start.sh"), 0644);

    assertThatThrownBy(() -> builder.build(dir, tmp.resolve("out.tar.gz")))
        .isInstanceOfSatisfying(
            PackageException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "scripts/start.sh is not executable (chmod +x it)",
                        "the package has no scripts/stop.sh (a package needs scripts/start.sh"
                            + " and scripts/stop.sh)"));
  }

  @Test
  void build_healthScriptNamedButMissing_isRefused() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Files.writeString(
        dir.resolve("manifest.yaml"),
        "name: demo\nversion: \"1.2.3\"\nhealth:\n  script: scripts/health.sh\n");

    assertThatThrownBy(() -> builder.build(dir, tmp.resolve("out.tar.gz")))
        .hasMessage(
            "the manifest's health.script `scripts/health.sh` is not a file of the package");
  }

  @Test
  void build_reservedName_isRefused() throws Exception {
    Path dir = demo(tmp.resolve("demo"));
    Files.writeString(dir.resolve(".svcreg-install"), "x");

    assertThatThrownBy(() -> builder.build(dir, tmp.resolve("out.tar.gz")))
        .hasMessageContaining("`.svcreg-install` is a name svcreg reserves");
  }
}
