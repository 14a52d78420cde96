package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecLoaderTest {

  static final Path VALID = Path.of("src/test/resources/valid");

  @TempDir Path tmp;
  SpecDir dir;

  @BeforeEach
  void setUp() {
    dir = new SpecDir(tmp).pkg("web", "1").pkg("db", "1");
  }

  @Test
  void load_validFixtures_haveNoProblems() {
    SpecSet set = SpecLoader.load(List.of(VALID));

    assertThat(set.problems()).isEmpty();
    assertThat(set.complete()).isTrue();
    assertThat(set.held()).isEmpty();
    assertThat(set.resources())
        .extracting(r -> r.key().toString())
        .containsExactly(
            "Network/dev",
            "Network/production",
            "Network/mesh",
            "Service/api",
            "Service/db",
            "Service/web",
            "Service/a");
    assertThat(set.files())
        .containsExactly(
            "src/test/resources/valid/networks.yaml",
            "src/test/resources/valid/services/api.yaml",
            "src/test/resources/valid/services/db.yml",
            "src/test/resources/valid/services/web.yaml");
  }

  @Test
  void load_absolutePathInsideTheWorkingDirectory_namesFilesAsTyped() {
    SpecSet relative = SpecLoader.load(List.of(VALID));
    SpecSet absolute = SpecLoader.load(List.of(VALID.toAbsolutePath()));
    SpecSet dotted = SpecLoader.load(List.of(Path.of("./src/test/../test/resources/valid")));

    assertThat(absolute).isEqualTo(relative);
    assertThat(dotted).isEqualTo(relative);
  }

  @Test
  void load_directory_skipsGitDotfilesAndEditorTempFiles() throws IOException {
    String broken = "this: is: not: yaml\n";
    dir.file("net.yaml", SpecDir.LOCAL_NETWORK);
    dir.file("sub/deeper/web.yml", SpecDir.service("web", "1", "").replace("../", "../../../"));
    dir.file(".hidden.yaml", broken);
    dir.file(".git/config.yaml", broken);
    dir.file(".cache/x.yaml", broken);
    dir.file("sub/.web.yaml.swp", broken);
    dir.file("web.yaml~", broken);
    dir.file("#web.yaml#", broken);
    dir.file(".#web.yaml", broken);
    dir.file("notes.txt", broken);
    dir.file("web.yaml.bak", broken);
    Files.createDirectories(dir.specs.resolve("empty.yaml.d"));

    SpecSet set = dir.load();

    assertThat(set.problems()).isEmpty();
    assertThat(set.files()).containsExactly(dir.shown("net.yaml"), dir.shown("sub/deeper/web.yml"));
    assertThat(set.services()).extracting(Service::name).containsExactly("web");
  }

  @Test
  void load_explicitFile_isReadWhateverItsName() {
    Path f = dir.file("spec.txt", SpecDir.LOCAL_NETWORK);

    SpecSet set = SpecLoader.load(List.of(f));

    assertThat(set.networks()).hasSize(1);
    assertThat(set.files()).containsExactly(f.toString());
  }

  @Test
  void load_fileGivenTwice_isReadOnce() {
    Path f = dir.file("net.yaml", SpecDir.LOCAL_NETWORK);

    SpecSet set = SpecLoader.load(List.of(dir.specs, f));

    assertThat(set.problems()).isEmpty();
    assertThat(set.networks()).hasSize(1);
  }

  @Test
  void load_missingPath_isAProblemAndIncomplete() {
    Path missing = tmp.resolve("nope");

    SpecSet set = SpecLoader.load(List.of(missing));

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(missing + ": no such file or directory");
    assertThat(set.complete()).isFalse();
  }

  @Test
  void load_fileThatIsNotUtf8_isAProblemAndIncomplete() throws IOException {
    Path f = dir.specs.resolve("latin1.yaml");
    Files.write(f, new byte[] {'a', ':', ' ', (byte) 0xe9, '\n'});

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(f + ": not valid UTF-8 text");
    assertThat(set.complete()).isFalse();
  }

  @Test
  void load_byteOrderMark_isIgnored() throws IOException {
    Path f = dir.specs.resolve("bom.yaml");
    Files.writeString(f, "\uFEFF" + SpecDir.LOCAL_NETWORK);

    SpecSet set = dir.load();

    assertThat(set.problems()).isEmpty();
    assertThat(set.networks()).hasSize(1);
  }

  @Test
  void load_emptyDirectory_isCompleteAndEmpty() {
    SpecSet set = dir.load();

    assertThat(set.resources()).isEmpty();
    assertThat(set.problems()).isEmpty();
    assertThat(set.complete()).isTrue();
  }

  @Test
  void load_syntaxErrorAfterValidDocuments_holdsThemAndIsIncomplete() {
    dir.file("net.yaml", SpecDir.LOCAL_NETWORK);
    dir.file(
        "all.yaml",
        SpecDir.service("web", "1", "") + "---\n" + SpecDir.service("db", "1", "") + "  env: [\n");

    SpecSet set = dir.load();

    assertThat(set.problems()).singleElement().extracting(Problem::line).isEqualTo(17);
    // web was read before the error: held. db was cut off: unknown, so the set is incomplete.
    assertThat(set.held()).containsExactly(ResourceKey.service("web"));
    assertThat(set.complete()).isFalse();
    assertThat(set.networks()).hasSize(1);
  }
}
