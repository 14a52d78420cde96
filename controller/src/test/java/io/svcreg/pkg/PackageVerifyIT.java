package io.svcreg.pkg;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Verifying archives, hostile ones made by hand included: each refused with one clear line. */
class PackageVerifyIT {

  @TempDir Path tmp;

  private final PackageVerifier verifier = new PackageVerifier(PackageVerifier.Limits.DEFAULT);

  /** Adds entries to an archive that otherwise is a valid package. */
  @FunctionalInterface
  interface Entries {
    void add(Tar tar) throws IOException;
  }

  private Path archive(Entries entries) throws IOException {
    Path file = tmp.resolve("pkg.tar.gz");
    try (Tar tar = new Tar(file)) {
      tar.required();
      entries.add(tar);
      tar.checksums();
    }
    return file;
  }

  static Stream<Arguments> hostile() {
    return Stream.of(
        Arguments.of(
            "zip-slip",
            (Entries) t -> t.file("../x", 0644, "x"),
            "the entry `../x` climbs out with `..`"),
        Arguments.of(
            "zip-slip inside a path",
            (Entries) t -> t.file("bin/../../x", 0644, "x"),
            "the entry `bin/../../x` climbs out with `..`"),
        Arguments.of(
            "absolute path",
            (Entries) t -> t.file("/etc/x", 0644, "x"),
            "the entry `/etc/x` has an absolute path"),
        Arguments.of(
            "symlink escape",
            (Entries) t -> t.symlink("config/etc", "../../etc"),
            "the symbolic link `config/etc` points outside the package (via ../../etc)"),
        Arguments.of(
            "absolute symlink",
            (Entries) t -> t.symlink("bin/sh", "/bin/sh"),
            "the symbolic link `bin/sh` points to the absolute path /bin/sh"),
        Arguments.of(
            "symlink chain escape",
            (Entries)
                t -> {
                  t.symlink("d/up", "..");
                  t.symlink("sneaky", "d/up/..");
                },
            "the symbolic link `sneaky` points outside the package (via d/up/..)"),
        Arguments.of(
            "write through a symlink",
            (Entries)
                t -> {
                  t.symlink("cfg", "config");
                  t.file("cfg/x", 0644, "x");
                },
            "the entry `cfg/x` goes through the symbolic link `cfg`"),
        Arguments.of(
            "hard link escape",
            (Entries) t -> t.hardlink("bin/passwd", "../../etc/passwd"),
            "the hard link `bin/passwd` points outside the package (../../etc/passwd)"),
        Arguments.of(
            "absolute hard link",
            (Entries) t -> t.hardlink("bin/passwd", "/etc/passwd"),
            "the hard link `bin/passwd` points outside the package (/etc/passwd)"),
        Arguments.of(
            "hard link to nothing earlier",
            (Entries) t -> t.hardlink("bin/a", "bin/later"),
            "the hard link `bin/a` must point to an earlier file of the package, not bin/later"),
        Arguments.of(
            "character device",
            (Entries) t -> t.special("dev/null", TarConstants.LF_CHR),
            "the entry `dev/null` is a device; a package holds only files, directories and links"),
        Arguments.of(
            "block device",
            (Entries) t -> t.special("dev/sda", TarConstants.LF_BLK),
            "the entry `dev/sda` is a device; a package holds only files, directories and links"),
        Arguments.of(
            "fifo",
            (Entries) t -> t.special("run/pipe", TarConstants.LF_FIFO),
            "the entry `run/pipe` is a fifo; a package holds only files, directories and links"),
        Arguments.of(
            "duplicate",
            (Entries) t -> t.file("manifest.yaml", 0644, "name: other\nversion: \"2\"\n"),
            "the archive holds `manifest.yaml` twice"),
        Arguments.of(
            "reserved name",
            (Entries) t -> t.file(".svcreg-install", 0644, "x"),
            "the entry `.svcreg-install` uses a name svcreg reserves"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void verify_hostileArchive_isRefusedNamingTheEntry(String name, Entries entries, String why)
      throws IOException {
    PackageVerifier.Report r = verifier.verify(archive(entries));

    assertThat(r.valid()).isFalse();
    assertThat(r.problems()).containsExactly(why);
  }

  @Test
  void verify_symlinksThatStayInside_areValid() throws IOException {
    Path file =
        archive(
            t -> {
              t.file("config/a.properties", 0644, "a=1\n");
              t.symlink("config/current", "a.properties");
              t.symlink("bin/cfg", "../config");
              t.symlink("up", "bin/..");
              t.hardlink("config/b.properties", "config/a.properties");
            });

    PackageVerifier.Report r = verifier.verify(file);

    assertThat(r.problems()).isEmpty();
    assertThat(r.files()).isEqualTo(5);
    assertThat(r.manifest().orElseThrow().name()).isEqualTo("demo");
  }

  @Test
  void verify_truncatedGzip_isRefused() throws IOException {
    Path file = archive(t -> t.file("bin/data", 0644, "x".repeat(50_000)));
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 40));

    PackageVerifier.Report r = verifier.verify(file);

    assertThat(r.problems())
        .singleElement()
        .asString()
        .startsWith("the archive is truncated or corrupt: ");
  }

  @Test
  void verify_trailerCutOff_isRefused() throws IOException {
    Path file = archive(t -> {});
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 4));

    assertThat(verifier.verify(file).problems())
        .singleElement()
        .asString()
        .startsWith("the archive is truncated or corrupt: ");
  }

  @Test
  void verify_corruptedByte_isRefused() throws IOException {
    Path file = archive(t -> t.file("bin/data", 0644, "some data ".repeat(1000)));
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x55;
    Files.write(file, bytes);

    assertThat(verifier.verify(file).valid()).isFalse();
  }

  @Test
  void verify_notGzip_isRefused() throws IOException {
    Path file = tmp.resolve("pkg.tar.gz");
    Files.writeString(file, "just text, not an archive\n");

    assertThat(verifier.verify(file).problems())
        .singleElement()
        .asString()
        .startsWith("not a gzip-compressed tar archive: ");
  }

  @Test
  void verify_overSizeLimit_isRefusedNamingTheEntry() throws IOException {
    Path file = archive(t -> t.file("bin/big", 0644, "x".repeat(4096)));
    PackageVerifier small = new PackageVerifier(new PackageVerifier.Limits(4000, 100));

    assertThat(small.verify(file).problems())
        .containsExactly("the archive unpacks to more than 4000 bytes (the limit), at `bin/big`");
  }

  @Test
  void verify_overEntryLimit_isRefused() throws IOException {
    Path file = archive(t -> t.file("bin/a", 0644, "a"));
    PackageVerifier few = new PackageVerifier(new PackageVerifier.Limits(1 << 20, 3));

    assertThat(few.verify(file).problems())
        .containsExactly("the archive has more than 3 entries (the limit)");
  }

  @Test
  void verify_checksumMismatchMissingAndExtra_eachNamed() throws IOException {
    Path file = tmp.resolve("pkg.tar.gz");
    try (Tar tar = new Tar(file)) {
      tar.required();
      tar.file("bin/a", 0644, "a");
      StringBuilder list = new StringBuilder();
      tar.digests().forEach((k, v) -> list.append(v).append("  ").append(k).append('\n'));
      String wrong = "0".repeat(64);
      String text =
          list.toString().replaceFirst("[0-9a-f]{64}  bin/a", wrong + "  bin/a")
              + "1".repeat(64)
              + "  bin/gone\n";
      tar.file("bin/extra", 0644, "e");
      tar.checksums(text);
    }

    PackageVerifier.Report r = verifier.verify(file);

    assertThat(r.problems())
        .containsExactly(
            "`bin/a` does not match its checksum (expected sha256 "
                + "0".repeat(64)
                + ", found ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb)",
            "`bin/extra` is not in CHECKSUMS.sha256 (an extra file)",
            "`bin/gone` is listed in CHECKSUMS.sha256 but missing from the package");
  }

  @Test
  void verify_noChecksumList_isInvalid() throws IOException {
    Path file = tmp.resolve("pkg.tar.gz");
    try (Tar tar = new Tar(file)) {
      tar.required();
    }

    assertThat(verifier.verify(file).problems())
        .containsExactly(
            "the package has no CHECKSUMS.sha256 (build it with `svcreg package build`)");
  }

  @Test
  void verify_malformedChecksumLine_isNamed() throws IOException {
    Path file = tmp.resolve("pkg.tar.gz");
    try (Tar tar = new Tar(file)) {
      tar.required();
      StringBuilder list = new StringBuilder();
      tar.digests().forEach((k, v) -> list.append(v).append("  ").append(k).append('\n'));
      tar.checksums(list + "nonsense\n");
    }

    assertThat(verifier.verify(file).problems())
        .containsExactly(
            "CHECKSUMS.sha256 line 4 is not `<sha256>  <path>` with a relative path: nonsense");
  }

  @Test
  void verify_invalidManifestAndScriptNotExecutable_allReported() throws IOException {
    Path file = tmp.resolve("pkg.tar.gz");
    try (Tar tar = new Tar(file)) {
      tar.file("manifest.yaml", 0644, "name: demo\n");
      tar.file("scripts/start.sh", 0644, "#!/bin/sh\n");
      tar.file("scripts/stop.sh", 0755, "#!/bin/sh\n");
      tar.checksums();
    }

    assertThat(verifier.verify(file).problems())
        .hasSize(2)
        .anySatisfy(p -> assertThat(p).startsWith("manifest.yaml:1:1").contains("version"))
        .contains("scripts/start.sh is not executable (chmod +x it)");
  }

  @Test
  void verify_builtPackage_reportsItsFacts() throws Exception {
    Path dir = tmp.resolve("demo");
    Files.createDirectories(dir.resolve("scripts"));
    Files.writeString(dir.resolve("manifest.yaml"), "name: demo\nversion: \"1.0.0\"\n");
    PackageBuildIT.script(dir.resolve("scripts/start.sh"), "exec sleep 100");
    PackageBuildIT.script(dir.resolve("scripts/stop.sh"), "exit 0");
    PackageBuilder.Built b =
        new PackageBuilder(Instant.EPOCH).build(dir, tmp.resolve("demo.tar.gz"));

    PackageVerifier.Report r = verifier.verify(b.file());

    assertThat(r.valid()).isTrue();
    assertThat(r.sha256()).isEqualTo(b.sha256());
    assertThat(r.files()).isEqualTo(3);
    long list =
        3 * (64 + 2 + 1)
            + "manifest.yaml".length()
            + "scripts/start.sh".length()
            + "scripts/stop.sh".length();
    long files =
        Files.size(dir.resolve("manifest.yaml"))
            + Files.size(dir.resolve("scripts/start.sh"))
            + Files.size(dir.resolve("scripts/stop.sh"));
    assertThat(r.bytes()).as("every file, the checksum list too").isEqualTo(files + list);
  }
}
