package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The JSON Schemas and the Java loader agree: every spec in {@code examples/} and {@code
 * manifests/} is valid for both, and every structural fixture (one defect each, named by its first
 * line {@code # expect: <field path>}) is rejected by both at that field. The schemas are checked
 * by an independent implementation (ajv with a YAML 1.2 parser, see {@link Ajv}).
 */
class SchemaConformanceIT {

  private static final Pattern EXPECT = Pattern.compile("^# expect: (\\S+)$");
  private static final Pattern MODELINE =
      Pattern.compile("^# yaml-language-server: \\$schema=(\\S+)$");

  private static Path root;
  private static Ajv ajv;

  @BeforeAll
  static void locate() {
    root = Ajv.projectRoot();
    ajv = Ajv.locate();
  }

  @Test
  void examplesAndManifests_ajv_everySpecDocumentIsValid() {
    List<Path> files = specFiles();
    assertThat(files)
        .contains(
            root.resolve("examples/services.yaml"),
            root.resolve("manifests/networks.yaml"),
            root.resolve("manifests/services.yaml"));
    List<Ajv.Result> results = ajv.validate("svcreg.schema.json", files);
    assertThat(results.stream().map(r -> Path.of(r.file())).distinct())
        .as("every file holds documents")
        .containsExactlyInAnyOrderElementsOf(files);
    assertThat(results.stream().filter(r -> !r.valid()).map(SchemaConformanceIT::describe))
        .as("documents the schema rejects")
        .isEmpty();
  }

  @Test
  void packageManifests_ajv_areValidManifests() {
    List<Path> manifests = packageManifests();
    assertThat(manifests)
        .contains(
            root.resolve("examples/packages/store/manifest.yaml"),
            root.resolve("manifests/packages/api-server/manifest.yaml"));
    List<Ajv.Result> results = ajv.validate("package-manifest.schema.json", manifests);
    assertThat(results).hasSameSizeAs(manifests);
    assertThat(results.stream().filter(r -> !r.valid()).map(SchemaConformanceIT::describe))
        .as("manifests the schema rejects")
        .isEmpty();
  }

  @Test
  void examples_javaLoader_loadsEveryDocumentWithoutProblems() {
    assertLoadsCleanly(specFiles().stream().filter(f -> f.startsWith(root.resolve("examples"))));
  }

  @Test
  void manifests_javaLoader_loadsEveryDocumentWithoutProblems() {
    assertLoadsCleanly(specFiles().stream().filter(f -> f.startsWith(root.resolve("manifests"))));
  }

  @Test
  void specFiles_schemaModeline_pointsAtTheSchemaForEditors() throws IOException {
    for (Path f : specFiles()) {
      assertThat(modeline(f)).as("first line of %s", f).isEqualTo(schemaFile("svcreg.schema.json"));
    }
    for (Path f : packageManifests()) {
      assertThat(modeline(f))
          .as("first line of %s", f)
          .isEqualTo(schemaFile("package-manifest.schema.json"));
    }
  }

  @TestFactory
  Stream<DynamicTest> structuralFixture_eachDefect_rejectedByAjvAndJavaAtItsField() {
    List<Path> fixtures = fixtures();
    assertThat(fixtures).hasSizeGreaterThanOrEqualTo(40);
    Map<Path, List<Ajv.Result>> byFile =
        ajv.validate("svcreg.schema.json", fixtures).stream()
            .collect(Collectors.groupingBy(r -> Path.of(r.file())));
    return fixtures.stream()
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.getFileName().toString(),
                    () -> {
                      String expected = expectedPath(f);
                      List<Ajv.Result> docs = byFile.getOrDefault(f, List.of());
                      List<Ajv.Result> rejected = docs.stream().filter(r -> !r.valid()).toList();
                      assertThat(rejected).as("ajv: the one defective document").hasSize(1);
                      assertThat(rejected.get(0).errors())
                          .as("ajv: an error at %s", expected)
                          .extracting(Ajv.Error::path)
                          .contains(expected);

                      SpecSet set = SpecLoader.load(List.of(f));
                      assertThat(set.problems())
                          .as("Java loader: a problem at %s", expected)
                          .extracting(Problem::path)
                          .contains(expected);
                    }));
  }

  private static void assertLoadsCleanly(Stream<Path> files) {
    List<Path> list = files.toList();
    assertThat(list).isNotEmpty();
    SpecSet set = SpecLoader.load(list);
    assertThat(set.problems()).as("Java loader problems in %s", list).isEmpty();
    long documents = ajv.validate("svcreg.schema.json", list).size();
    assertThat(set.resources()).as("one resource per document").hasSize((int) documents);
    assertThat(set.complete()).isTrue();
  }

  private static String describe(Ajv.Result r) {
    return r.file()
        + " document "
        + r.document()
        + " ("
        + r.kind()
        + "/"
        + r.name()
        + "): "
        + r.errors();
  }

  /** The spec files of examples/ and manifests/, by the loader's rule ({@link SpecFiles}). */
  private static List<Path> specFiles() {
    List<Path> out = new ArrayList<>();
    for (String dir : List.of("examples", "manifests")) {
      try {
        out.addAll(SpecFiles.walk(root.resolve(dir)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** The manifest.yaml of every package in examples/, manifests/ and the fixtures. */
  private static List<Path> packageManifests() {
    List<Path> out = new ArrayList<>();
    for (String dir :
        List.of("examples", "manifests", "api-schema/src/test/resources/structural/packages")) {
      collect(root.resolve(dir), out);
    }
    return out;
  }

  /** Walks {@code dir}, skipping dotfiles: collects the manifest.yaml of package directories. */
  private static void collect(Path dir, List<Path> out) {
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : entries.sorted().toList()) {
        if (p.getFileName().toString().startsWith(".") || !Files.isDirectory(p)) {
          continue;
        }
        if (SpecFiles.isPackageDir(p)) {
          out.add(p.resolve("manifest.yaml"));
        } else {
          collect(p, out);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Path> fixtures() {
    try (Stream<Path> files =
        Files.list(root.resolve("api-schema/src/test/resources/structural"))) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String expectedPath(Path fixture) throws IOException {
    String first = Files.readAllLines(fixture, StandardCharsets.UTF_8).get(0);
    Matcher m = EXPECT.matcher(first);
    assertThat(m.matches()).as("%s starts with '# expect: <field path>'", fixture).isTrue();
    return m.group(1);
  }

  private static Path modeline(Path file) throws IOException {
    String first = Files.readAllLines(file, StandardCharsets.UTF_8).get(0);
    Matcher m = MODELINE.matcher(first);
    assertThat(m.matches()).as("%s starts with the yaml-language-server modeline", file).isTrue();
    return file.getParent().resolve(m.group(1)).normalize();
  }

  private static Path schemaFile(String name) {
    return root.resolve("api-schema/src/main/resources/schemas").resolve(name);
  }
}
