package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequirementsTest {

  @TempDir Path tmp;

  private Path manifest(String text) throws IOException {
    return Files.writeString(tmp.resolve("manifest.yaml"), text);
  }

  @Test
  void read_manifestWithoutRequires_requiresNothing() throws Exception {
    Requirements r = Requirements.read(manifest("name: a\nversion: \"1\"\n"));

    assertThat(r).isEqualTo(Requirements.NONE);
    assertThat(r.isEmpty()).isTrue();
    assertThat(r.script("/usr/bin")).doesNotContain("ldconfig");
  }

  @Test
  void read_commandsAndLibraries_inTheirOrder() throws Exception {
    Requirements r =
        Requirements.read(
            manifest("requires:\n  commands: [bash, /usr/bin/curl]\n  libraries: [libpq.so.5]\n"));

    assertThat(r)
        .isEqualTo(new Requirements(List.of("bash", "/usr/bin/curl"), List.of("libpq.so.5")));
  }

  @Test
  void read_nameWithALineBreak_isAnInvalidPackage() throws IOException {
    Path m = manifest("requires:\n  commands: [\"sh\\nmissing command x\"]\n");

    assertThatThrownBy(() -> Requirements.read(m))
        .isInstanceOfSatisfying(
            PackageRejected.class,
            e -> assertThat(e.reason()).isEqualTo(DeployReasons.INVALID_PACKAGE))
        .hasMessageContaining("requires.commands");
  }

  @Test
  void read_dockerPackage_requiresTheDockerCommand() throws Exception {
    Requirements r =
        Requirements.read(
            manifest(
                "name: a\nversion: \"1\"\nservice: {type: docker, image: a:1}\n"
                    + "requires: {commands: [curl]}\n"));

    assertThat(r.commands()).containsExactly("curl", "docker");
  }

  @Test
  void script_dockerPackageOnAHostWithoutDocker_reportsTheDockerCommandMissing() throws Exception {
    Requirements r =
        Requirements.read(manifest("name: a\nversion: \"1\"\nservice:\n  type: docker\n"));
    Path bin = Files.createDirectories(tmp.resolve("bin"));

    Process p = new ProcessBuilder("/bin/sh", "-c", r.script(bin.toString())).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor();

    assertThat(Requirements.missing(out)).containsExactly("command docker");
  }

  @Test
  void missing_amongOtherLines_onlyTheMissingOnesInTheirOrder() {
    String out =
        "home absent\nmissing library libx.so.1\nmarker 1 a-1 abc\nmissing command x y\n"
            + "missing something else\ntmp /opt/.tmp.a.1\n";

    assertThat(Requirements.missing(out)).containsExactly("library libx.so.1", "command x y");
  }

  @Test
  void failure_librariesOnly_saysWhatAndWhereWithoutThePath() {
    InstallOutcome.Failed f =
        Requirements.failure("a 1", "node n (u@h:22)", "/usr/bin", List.of("library libx.so.1"));

    assertThat(f)
        .isEqualTo(
            new InstallOutcome.Failed(
                DeployReasons.REQUIREMENT_MISSING,
                "cannot install a 1 on node n (u@h:22): missing library libx.so.1 (requires in its"
                    + " manifest.yaml); install it there"));
  }
}
