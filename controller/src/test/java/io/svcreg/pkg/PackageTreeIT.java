package io.svcreg.pkg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checking an extracted package directory against its checksum list. */
class PackageTreeIT {

  @TempDir Path tmp;

  private Path extracted() throws Exception {
    Path dir = tmp.resolve("demo");
    Files.createDirectories(dir.resolve("scripts"));
    Files.writeString(dir.resolve("manifest.yaml"), "name: demo\nversion: \"1.0.0\"\n");
    PackageBuildIT.script(dir.resolve("scripts/start.sh"), "exec sleep 100");
    PackageBuildIT.script(dir.resolve("scripts/stop.sh"), "exit 0");
    Path archive = new PackageBuilder(Instant.EPOCH).build(dir, tmp.resolve("demo.tar.gz")).file();
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    Process tar =
        new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", out.toString())
            .inheritIO()
            .start();
    assertThat(tar.waitFor()).isZero();
    return out;
  }

  @Test
  void checkTree_extractedByGnuTar_matches() throws Exception {
    Path out = extracted();

    assertThat(PackageVerifier.checkTree(out)).isEmpty();
    Process sum =
        new ProcessBuilder("sha256sum", "--quiet", "-c", "CHECKSUMS.sha256")
            .directory(out.toFile())
            .inheritIO()
            .start();
    assertThat(sum.waitFor()).as("sha256sum -c accepts the list").isZero();
  }

  @Test
  void checkTree_changedAndAddedFiles_areNamed() throws Exception {
    Path out = extracted();
    Files.writeString(out.resolve("scripts/stop.sh"), "#!/bin/sh\nrm -rf /\n");
    Files.writeString(out.resolve("scripts/extra.sh"), "x");

    assertThat(PackageVerifier.checkTree(out))
        .hasSize(2)
        .anySatisfy(p -> assertThat(p).startsWith("`scripts/extra.sh` is not in CHECKSUMS.sha256"))
        .anySatisfy(p -> assertThat(p).startsWith("`scripts/stop.sh` does not match"));
  }

  @Test
  void checkTree_noList_hasNothingToCheck() throws Exception {
    Path out = extracted();
    Files.delete(out.resolve("CHECKSUMS.sha256"));

    assertThat(PackageVerifier.checkTree(out)).isEmpty();
  }
}
