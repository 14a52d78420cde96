package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The incremental checks must always equal the full ones: random edits of a small world (few names,
 * so duplicates, cycles, conflicts and missing references happen often) are applied to a {@link
 * LiveValidator} and compared with {@link SpecValidator} on the same files after every step.
 */
class LiveValidatorTest {

  static final String[] SERVICES = {"s0", "s1", "s2", "s3", "s4", "s5"};
  static final String[] FILES = {"a.yaml", "b.yaml", "c.yaml", "d.yaml", "e.yaml"};

  @TempDir Path tmp;
  SpecDir dir;

  @BeforeEach
  void setUp() {
    dir = new SpecDir(tmp);
    for (String s : SERVICES) {
      dir.pkg(s, "1");
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void apply_randomEdits_alwaysEqualsTheFullValidation(long seed) {
    Random random = new Random(seed);
    LiveValidator live = new LiveValidator();
    TreeMap<String, ParsedFile> files = new TreeMap<>();
    for (int step = 0; step < 250; step++) {
      Map<String, ParsedFile> changes = new LinkedHashMap<>();
      int edits = 1 + random.nextInt(2);
      for (int i = 0; i < edits; i++) {
        String name = FILES[random.nextInt(FILES.length)];
        ParsedFile pf =
            random.nextInt(6) == 0 ? null : SpecParser.parse(name, randomFile(random), dir.specs);
        changes.put(name, pf);
        if (pf == null) {
          files.remove(name);
        } else {
          files.put(name, pf);
        }
      }

      SpecSet incremental = live.apply(changes);
      SpecSet full = SpecValidator.validate(files.values());

      assertThat(incremental).as("seed %d step %d", seed, step).isEqualTo(full);
    }
  }

  private static String randomFile(Random r) {
    if (r.nextInt(20) == 0) {
      return "kind: [broken\n";
    }
    StringBuilder b = new StringBuilder();
    int docs = r.nextInt(4);
    for (int i = 0; i < docs; i++) {
      b.append("---\n");
      b.append(r.nextInt(5) == 0 ? randomNetwork(r) : randomService(r));
    }
    return b.toString();
  }

  private static String randomNetwork(Random r) {
    String name = pick(r, "dev", "lan", "dev");
    return switch (r.nextInt(4)) {
      case 0 ->
          "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: "
              + name
              + "}\nspec:\n  type: lan\n  subnet: 127.0.10.0/24\n  reserved: [127.0.10.9]\n"
              + "  nodes: [{name: n1, address: 127.0.10.2, ssh: {user: u}}"
              + (r.nextBoolean() ? ", {name: n2, address: 127.0.10.3, ssh: {user: u}}" : "")
              + "]\n";
      case 1 ->
          "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: " + name + "}\nspec: {}\n";
      default ->
          "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: "
              + name
              + "}\nspec: {type: local, subnet: 127.0.10.0/24}\n";
    };
  }

  private static String randomService(Random r) {
    String name = SERVICES[r.nextInt(SERVICES.length)];
    StringBuilder spec = new StringBuilder();
    spec.append("  network: ").append(pick(r, "dev", "dev", "lan", "nonet")).append('\n');
    if (r.nextInt(3) == 0) {
      spec.append("  node: ").append(pick(r, "local", "n1", "n2", "zz")).append('\n');
    }
    if (r.nextInt(3) == 0) {
      spec.append("  address: ")
          .append(pick(r, "127.0.10.5", "127.0.10.6", "127.0.10.9", "127.0.10.2", "10.0.0.1"))
          .append('\n');
    }
    List<String> deps = new ArrayList<>();
    for (String s : SERVICES) {
      if (!s.equals(name) && r.nextInt(5) == 0) {
        deps.add(s);
      }
    }
    if (r.nextInt(8) == 0) {
      deps.add("ghost");
    }
    if (!deps.isEmpty()) {
      spec.append("  dependsOn: [").append(String.join(", ", deps)).append("]\n");
    }
    if (r.nextInt(4) == 0) {
      spec.append("  state: stopped\n");
    }
    if (r.nextInt(10) == 0) {
      spec.append("  bogus: 1\n");
    }
    return "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: "
        + name
        + "}\nspec:\n  version: \"1\"\n  package: ../packages/"
        + name
        + "\n"
        + spec;
  }

  private static String pick(Random r, String... options) {
    return options[r.nextInt(options.length)];
  }

  // ---- cycles --------------------------------------------------------------------------------

  @Test
  void components_longChain_needsNoRecursion() {
    StringBuilder b = new StringBuilder(SpecDir.LOCAL_NETWORK);
    int n = 1000;
    for (int i = 0; i < n; i++) {
      dir.pkg("s" + i, "1");
      b.append("---\n")
          .append(
              SpecDir.service("s" + i, "1", i + 1 < n ? "  dependsOn: [s" + (i + 1) + "]\n" : ""));
    }
    ParsedFile pf = SpecParser.parse("chain.yaml", b.toString(), dir.specs);
    LiveValidator live = new LiveValidator();
    live.apply(Map.of("chain.yaml", pf));

    LiveValidator.Components c = LiveValidator.components(live, pf.declarations());

    assertThat(c.cycles()).isEmpty();
    assertThat(c.explored()).hasSize(n);
  }

  @Test
  void apply_rewritingFilesWithTheSameDependencies_keepsCyclesAsAFullValidation() {
    for (String n : new String[] {"a", "b", "c", "d"}) {
      dir.pkg(n, "1");
    }
    TreeMap<String, ParsedFile> files = new TreeMap<>();
    files.put("net.yaml", SpecParser.parse("net.yaml", SpecDir.LOCAL_NETWORK, dir.specs));
    files.put("a.yaml", parsed("a.yaml", "a", "  dependsOn: [b]\n"));
    files.put("b.yaml", parsed("b.yaml", "b", "  dependsOn: [a]\n"));
    files.put("d.yaml", parsed("d.yaml", "d", "  dependsOn: [a]\n"));
    LiveValidator live = new LiveValidator();
    live.apply(files);

    Map<String, ParsedFile> edits = new TreeMap<>();
    edits.put("b.yaml", parsed("b.yaml", "b", "  state: stopped\n  dependsOn: [a]\n"));
    edits.put("d.yaml", parsed("d.yaml", "d", "  state: stopped\n  dependsOn: [a]\n"));
    files.putAll(edits);
    SpecSet rewritten = live.apply(edits);
    SpecSet opened = live.apply(Map.of("b.yaml", parsed("b.yaml", "b", "")));
    files.put("b.yaml", parsed("b.yaml", "b", ""));

    assertThat(rewritten.problems())
        .extracting(Problem::message)
        .anyMatch(m -> m.startsWith("dependency cycle: a → b → a"));
    assertThat(opened).isEqualTo(SpecValidator.validate(files.values()));
    assertThat(opened.services()).extracting(Service::name).containsExactly("a", "b", "d");
  }

  private ParsedFile parsed(String file, String name, String extra) {
    return SpecParser.parse(file, SpecDir.service(name, "1", extra), dir.specs);
  }

  @Test
  void apply_closingAndOpeningALongCycle_reportsAndClearsIt() {
    StringBuilder b = new StringBuilder(SpecDir.LOCAL_NETWORK);
    int n = 500;
    for (int i = 0; i < n; i++) {
      dir.pkg("s" + i, "1");
      b.append("---\n")
          .append(SpecDir.service("s" + i, "1", i > 0 ? "  dependsOn: [s" + (i - 1) + "]\n" : ""));
    }
    LiveValidator live = new LiveValidator();
    live.apply(Map.of("chain.yaml", SpecParser.parse("chain.yaml", b.toString(), dir.specs)));
    String closing = SpecDir.service("s" + n, "1", "  dependsOn: [s" + (n - 1) + "]\n");
    dir.pkg("s" + n, "1");

    SpecSet open =
        live.apply(Map.of("close.yaml", SpecParser.parse("close.yaml", closing, dir.specs)));
    SpecSet closed =
        live.apply(
            Map.of(
                "chain.yaml",
                SpecParser.parse(
                    "chain.yaml",
                    b.toString()
                        .replaceFirst(
                            "(?s)(name: s0}.*?network: dev\n)", "$1  dependsOn: [s500]\n"),
                    dir.specs)));
    SpecSet reopened =
        live.apply(Map.of("close.yaml", SpecParser.parse("close.yaml", "", dir.specs)));

    assertThat(open.problems()).isEmpty();
    assertThat(closed.problems())
        .singleElement()
        .extracting(Problem::message)
        .asString()
        .startsWith("dependency cycle: s0 → s500 → s499 → ");
    assertThat(closed.services()).isEmpty();
    assertThat(reopened.problems())
        .extracting(Problem::message)
        .containsExactly("no service `s500` is declared; did you mean `s100`?");
  }
}
