package io.svcreg.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Packages carried in an apply request: read on the client, written out on the controller. */
class PackageUploadsTest {

  @TempDir Path tmp;

  private static PackageUploads.Staged stage(String json) throws IOException {
    return PackageUploads.stage(Json.mapper().readTree(json));
  }

  @Test
  void stage_entriesOfADirectory_theSamePackageWithModesAndLinks() throws IOException {
    Path pkg = SpecFixtures.pkg(tmp, "api", "1.0.0");
    Path script = SpecFixtures.write(pkg.resolve("scripts/start.sh"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
    Files.createSymbolicLink(pkg.resolve("start"), Path.of("scripts/start.sh"));
    Files.setPosixFilePermissions(
        pkg.resolve("scripts"), PosixFilePermissions.fromString("r-xr-xr-x"));
    ArrayNode list = Json.mapper().createArrayNode();
    list.addObject().put("ref", "../packages/api").set("entries", PackageUploads.entries(pkg));

    try (PackageUploads.Staged staged = PackageUploads.stage(list)) {
      Path copy = ((PackageUploads.Staged.Ok) staged).packages().get("../packages/api");

      assertThat(copy.getFileName()).hasToString("api");
      assertThat(PackageCopies.identical(pkg, copy)).isTrue();
      assertThat(Files.readSymbolicLink(copy.resolve("start"))).hasToString("scripts/start.sh");
    } finally {
      Files.setPosixFilePermissions(
          pkg.resolve("scripts"), PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void stage_archive_aFileOfTheSameNameAndContent() throws IOException {
    Path archive = SpecFixtures.write(tmp.resolve("pkgs/api-1.0.0.tar.gz"), "not really gzip");
    ArrayNode list = Json.mapper().createArrayNode();
    list.addObject()
        .put("ref", "pkgs/api-1.0.0.tar.gz")
        .set("entries", PackageUploads.entries(archive));
    Path dir;

    try (PackageUploads.Staged staged = PackageUploads.stage(list)) {
      PackageUploads.Staged.Ok ok = (PackageUploads.Staged.Ok) staged;
      Path copy = ok.packages().get("pkgs/api-1.0.0.tar.gz");
      dir = ok.dir();

      assertThat(copy.getFileName()).hasToString("api-1.0.0.tar.gz");
      assertThat(copy).isRegularFile().hasSameBinaryContentAs(archive);
    }
    assertThat(dir).doesNotExist();
  }

  @Test
  void stage_nothing_noDirectory() throws IOException {
    try (PackageUploads.Staged staged = PackageUploads.stage(null)) {
      assertThat(staged).isEqualTo(new PackageUploads.Staged.Ok(Map.of(), null));
    }
  }

  private static final String DIR = "{\"path\": \"\", \"type\": \"dir\", \"mode\": 493}";
  private static final String SUB = "{\"path\": \"a\", \"type\": \"dir\", \"mode\": 493}";

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"ref\": \"/abs/api\", \"entries\": [" + DIR + "]} | [0].ref must be",
        "{\"ref\": \"..\", \"entries\": [" + DIR + "]} | [0].ref must be",
        "{\"ref\": \"api\", \"entries\": []} | [0].entries must be an array whose first",
        "{\"ref\": \"api\", \"entries\": ["
            + DIR
            + ", {\"path\": \"../x\", \"type\": \"file\","
            + " \"mode\": 420, \"data\": \"\"}]} | [0].entries[1].path must be a relative path",
        "{\"ref\": \"api\", \"entries\": ["
            + DIR
            + ", {\"path\": \"a/x\", \"type\": \"file\","
            + " \"mode\": 420, \"data\": \"\"}]} | [0].entries[1]: its directory must come before",
        "{\"ref\": \"api\", \"entries\": ["
            + DIR
            + ", {\"path\": \"x\", \"type\": \"file\","
            + " \"data\": \"\"}]} | [0].entries[1].mode must be a file mode",
        "{\"ref\": \"api\", \"entries\": ["
            + DIR
            + ", {\"path\": \"x\", \"type\": \"file\","
            + " \"mode\": 420, \"data\": \"%%\"}]} | [0].entries[1].data must be base64",
        "{\"ref\": \"api\", \"entries\": ["
            + DIR
            + ", {\"path\": \"x\", \"type\": \"link\","
            + " \"target\": \"../../etc/passwd\"}]} | [0].entries[1].target must stay inside",
        "{\"ref\": \"api\", \"entries\": ["
            + DIR
            + ", {\"path\": \"x\", \"type\": \"link\","
            + " \"target\": \"/etc/passwd\"}]} | [0].entries[1].target must stay inside",
        "{\"ref\": \"api\", \"entries\": ["
            + DIR
            + ", {\"path\": \"x\", \"type\": \"pipe\","
            + " \"mode\": 420}]} | [0].entries[1].type must be dir, file or link",
        "{\"ref\": \"api\", \"entries\": ["
            + DIR
            + ", "
            + SUB
            + ", "
            + SUB
            + "]} | [0].entries[2]: `a` is given twice",
      })
  void stage_badUpload_refusedNamingTheFieldAndNothingLeft(String pkg, String message)
      throws IOException {
    List<Path> before = leftovers();

    try (PackageUploads.Staged staged = stage("[" + pkg + "]")) {
      assertThat(staged)
          .isInstanceOfSatisfying(
              PackageUploads.Staged.Refused.class,
              r -> assertThat(r.message()).startsWith("params.packages" + message));
    }
    assertThat(leftovers()).isEqualTo(before);
  }

  private static List<Path> leftovers() throws IOException {
    try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("svcreg-apply-"))
          .sorted()
          .toList();
    }
  }

  @Test
  void stage_notAnArray_refused() throws IOException {
    JsonNode notArray = Json.mapper().readTree("\"api\"");

    try (PackageUploads.Staged staged = PackageUploads.stage(notArray)) {
      assertThat(staged).isInstanceOf(PackageUploads.Staged.Refused.class);
    }
  }
}
