package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each file in {@code src/test/resources/invalid/} ends with {@code # expect:} lines: the exact
 * problems (file:line:column: path: message, {@code @} standing for the file itself) that loading
 * it alone must report.
 */
class InvalidFixturesTest {

  static final Path DIR = Path.of("src/test/resources/invalid");

  static Stream<Path> fixtures() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void load_invalidFixture_reportsExactlyTheExpectedProblems(Path fixture) throws IOException {
    String shown = fixture.toString();
    List<String> expected =
        Files.readAllLines(fixture).stream()
            .filter(l -> l.startsWith("# expect: "))
            .map(l -> l.substring("# expect: ".length()).replace("@:", shown + ":"))
            .toList();

    SpecSet set = SpecLoader.load(List.of(fixture));

    assertThat(expected).as("fixture declares its expected problems").isNotEmpty();
    assertThat(set.problems()).extracting(Problem::toString).containsExactlyElementsOf(expected);
    assertThat(set.problems()).allSatisfy(p -> assertThat(p.line()).isPositive());
    assertThat(set.files()).containsExactly(shown);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void load_invalidFixture_holdsOrLeavesIncomplete(Path fixture) {
    SpecSet set = SpecLoader.load(List.of(fixture));

    assertThat(!set.held().isEmpty() || !set.complete())
        .as("an invalid resource is held, or the set is incomplete so nothing is pruned")
        .isTrue();
    for (Resource r : set.resources()) {
      assertThat(set.held()).doesNotContain(r.key());
    }
  }
}
