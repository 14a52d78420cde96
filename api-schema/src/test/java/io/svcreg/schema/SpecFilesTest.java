package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The one rule for which files of a spec directory are specs. */
class SpecFilesTest {

  /** Every file of the table below: its path in the directory, and whether it is a spec. */
  private static final String[][] TABLE = {
    {"services.yaml", "true"},
    {"nets/deeper/net.yml", "true"},
    {"README.md", "false"},
    {".hidden.yaml", "false"},
    {"#net.yaml#", "false"},
    {"net.yaml~", "false"},
    {".net.yaml.swp", "false"},
    {".git/x.yaml", "false"},
    {".github/workflows/ci.yml", "false"},
    {"packages/api/manifest.yaml", "false"},
    {"packages/api/config/app.yml", "false"},
    {"packages/api/deep/er/x.yaml", "false"},
    {"packages/more.yaml", "true"},
    {"packages/web.tar.gz", "false"},
  };

  @TempDir Path dir;

  @BeforeEach
  void write() throws IOException {
    for (String[] row : TABLE) {
      Path p = dir.resolve(row[0]);
      Files.createDirectories(p.getParent());
      Files.writeString(p, "x: 1\n");
    }
  }

  static Stream<Arguments> table() {
    return Arrays.stream(TABLE).map(row -> Arguments.of(row[0], Boolean.parseBoolean(row[1])));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("table")
  void isSpec_fileOfTheTable_asTheRuleSays(String rel, boolean spec) {
    assertThat(SpecFiles.isSpec(dir, dir.resolve(rel))).isEqualTo(spec);
  }

  @Test
  void walk_directory_exactlyTheSpecsOfTheTable() throws IOException {
    List<Path> specs = new ArrayList<>();
    for (String[] row : TABLE) {
      if (Boolean.parseBoolean(row[1])) {
        specs.add(dir.resolve(row[0]));
      }
    }

    assertThat(SpecFiles.walk(dir)).containsExactlyInAnyOrderElementsOf(specs).isSorted();
  }

  @Test
  void reachable_packageDirectoryItself_yesButNotWhatIsInIt() {
    assertThat(SpecFiles.reachable(dir, dir.resolve("packages/api"))).isTrue();
    assertThat(SpecFiles.reachable(dir, dir.resolve("packages/api/config"))).isFalse();
    assertThat(SpecFiles.reachable(dir, dir.resolve(".git/objects"))).isFalse();
    assertThat(SpecFiles.reachable(dir, dir.resolveSibling("elsewhere.yaml"))).isFalse();
  }

  @Test
  void load_directoryWithAPackage_readsOnlyTheSpecs() {
    SpecSet set = SpecLoader.load(List.of(dir));

    assertThat(set.files())
        .containsExactlyInAnyOrder(
            dir.resolve("services.yaml").toString(),
            dir.resolve("nets/deeper/net.yml").toString(),
            dir.resolve("packages/more.yaml").toString());
  }
}
