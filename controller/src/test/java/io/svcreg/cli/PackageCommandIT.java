package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code svcreg package build|verify}: output, messages and exit codes. */
class PackageCommandIT {

  private static final Path STORE =
      Path.of(System.getProperty("svcreg.project.root", "..")).resolve("examples/packages/store");

  @TempDir Path tmp;

  @Test
  void build_examplePackage_printsPathSizeAndSha256() throws Exception {
    Path out = tmp.resolve("store.tar.gz");

    CliRun run = CliRun.of("package", "build", STORE.toString(), "-o", out.toString());

    assertThat(run.exitCode()).as(run::toString).isZero();
    assertThat(run.out()).matches(out + " " + Files.size(out) + " bytes sha256 [0-9a-f]{64}\n");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void build_twice_sameSha256() throws Exception {
    CliRun a = CliRun.of("package", "build", STORE.toString(), "-o", tmp.resolve("a").toString());
    CliRun b = CliRun.of("package", "build", STORE.toString(), "-o", tmp.resolve("b").toString());

    assertThat(a.out().substring(a.out().indexOf(" sha256 ")))
        .isEqualTo(b.out().substring(b.out().indexOf(" sha256 ")));
  }

  @Test
  void build_invalidPackage_exits1WithEachProblemAndWritesNothing() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("bad/scripts"));
    Files.writeString(tmp.resolve("bad/manifest.yaml"), "name: bad\nversion: \"1\"\n");
    Files.writeString(dir.resolve("start.sh"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(
        dir.resolve("start.sh"), PosixFilePermissions.fromString("rw-r--r--"));

    CliRun run =
        CliRun.of(
            "package", "build", tmp.resolve("bad").toString(), "-o", tmp.resolve("o").toString());

    assertThat(run.exitCode()).as(run::toString).isEqualTo(1);
    assertThat(run.errLines())
        .containsExactly(
            "svcreg package build: "
                + tmp.resolve("bad")
                + ": scripts/start.sh is not executable (chmod +x it)",
            "svcreg package build: "
                + tmp.resolve("bad")
                + ": the package has no scripts/stop.sh (a package needs scripts/start.sh and"
                + " scripts/stop.sh)",
            "svcreg package build: nothing written; fix the problems above");
    assertThat(tmp.resolve("o")).doesNotExist();
  }

  @Test
  void build_noSuchDirectory_exits2() {
    CliRun run = CliRun.of("package", "build", tmp.resolve("nope").toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.errLines())
        .containsExactly("svcreg package build: " + tmp.resolve("nope") + ": no such directory");
  }

  @Test
  void verify_builtPackage_exits0AndSaysWhatItHolds() {
    Path out = tmp.resolve("store.tar.gz");
    CliRun.of("package", "build", STORE.toString(), "-o", out.toString());

    CliRun run = CliRun.of("package", "verify", out.toString());

    assertThat(run.exitCode()).as(run::toString).isZero();
    assertThat(run.out())
        .startsWith(out + ": valid: store 1.0.0, 6 files, ")
        .containsPattern("bytes unpacked, sha256 [0-9a-f]{64}");
  }

  @Test
  void verify_tamperedArchive_exits1NamingTheProblem() throws Exception {
    Path out = tmp.resolve("store.tar.gz");
    CliRun.of("package", "build", STORE.toString(), "-o", out.toString());
    byte[] bytes = Files.readAllBytes(out);
    Files.write(out, Arrays.copyOf(bytes, bytes.length / 2));

    CliRun run = CliRun.of("package", "verify", out.toString());

    assertThat(run.exitCode()).as(run::toString).isEqualTo(1);
    assertThat(run.errLines())
        .singleElement()
        .asString()
        .startsWith("svcreg package verify: " + out + ": the archive is truncated or corrupt: ");
    assertThat(run.out()).isEqualTo(out + ": invalid (1 problem)\n");
  }

  @Test
  void verify_lowSizeLimit_exits1() {
    Path out = tmp.resolve("store.tar.gz");
    CliRun.of("package", "build", STORE.toString(), "-o", out.toString());

    CliRun run = CliRun.of("package", "verify", "--max-size", "1000", out.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("unpacks to more than 1000 bytes (the limit), at `");
  }

  @Test
  void verify_missingFile_exits2() {
    CliRun run = CliRun.of("package", "verify", tmp.resolve("none.tar.gz").toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.errLines())
        .containsExactly("svcreg package verify: " + tmp.resolve("none.tar.gz") + ": no such file");
  }

  @Test
  void verify_withoutFile_isUsageErrorExit2() {
    CliRun run = CliRun.of("package", "verify");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.errLines().get(0))
        .startsWith("svcreg package verify: Missing required parameter");
    assertThat(run.errLines().get(1)).isEqualTo("see `svcreg package verify --help`");
  }

  @Test
  void package_withoutSubcommand_exits2ListingThem() {
    CliRun run = CliRun.of("package");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("svcreg package: a command is required: build, verify");
  }
}
