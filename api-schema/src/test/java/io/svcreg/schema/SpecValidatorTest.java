package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SpecValidatorTest {

  static final String LAN =
      """
      apiVersion: svcreg.io/v1
      kind: Network
      metadata: {name: prod}
      spec:
        type: lan
        subnet: 10.0.0.0/24
        nodes: [{name: n1, address: 10.0.0.10, ssh: {user: deploy}}]
      """;

  @TempDir Path tmp;
  SpecDir dir;

  @BeforeEach
  void setUp() {
    dir = new SpecDir(tmp);
    for (String n : new String[] {"a", "b", "c", "d", "e", "web"}) {
      dir.pkg(n, "1");
    }
    dir.file("net.yaml", SpecDir.LOCAL_NETWORK);
  }

  private static String svc(String name, String extra) {
    return SpecDir.service(name, "1", extra);
  }

  // ---- duplicates ----------------------------------------------------------------------------

  @Test
  void load_sameServiceInTwoFiles_isAnErrorAtBothNamingBothAndNeitherIsUsed() {
    dir.file("one.yaml", svc("web", ""));
    dir.file("two.yaml", "# another copy\n" + svc("web", "  state: stopped\n"));

    SpecSet set = dir.load();

    String both = dir.shown("one.yaml") + ":3:18 and " + dir.shown("two.yaml") + ":4:18";
    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            dir.shown("one.yaml")
                + ":3:18: metadata.name: Service/web is defined twice: "
                + both.replace(":3:18 and", ":3 and").replace(":4:18", ":4")
                + "; none of them is used until only one remains",
            dir.shown("two.yaml")
                + ":4:18: metadata.name: Service/web is defined twice: "
                + both.replace(":3:18 and", ":3 and").replace(":4:18", ":4")
                + "; none of them is used until only one remains");
    assertThat(set.services()).isEmpty();
    assertThat(set.held()).containsExactly(ResourceKey.service("web"));
    assertThat(set.complete()).isTrue();
  }

  @Test
  void load_sameNameDifferentKinds_isNoDuplicate() {
    dir.file("web.yaml", svc("web", ""));
    dir.file(
        "webnet.yaml",
        SpecDir.LOCAL_NETWORK.replace("name: dev", "name: web").replace("10.0", "11.0"));

    SpecSet set = dir.load();

    assertThat(set.problems()).isEmpty();
    assertThat(set.resources()).hasSize(3);
  }

  @Test
  void load_duplicatedNetwork_holdsItsServicesWithoutMoreErrors() {
    dir.file("net2.yaml", SpecDir.LOCAL_NETWORK);
    dir.file("web.yaml", svc("web", ""));

    SpecSet set = dir.load();

    assertThat(set.problems()).hasSize(2).allMatch(p -> p.path().equals("metadata.name"));
    assertThat(set.held())
        .containsExactlyInAnyOrder(ResourceKey.network("dev"), ResourceKey.service("web"));
    assertThat(set.resources()).isEmpty();
  }

  // ---- held keys count as existing -----------------------------------------------------------

  @Test
  void load_invalidNetwork_isHeldAndItsServicesAreHeldSilently() {
    dir.file("net.yaml", SpecDir.LOCAL_NETWORK.replace("127.0.10.0/24", "127.0.10.1/24"));
    dir.file("web.yaml", svc("web", ""));

    SpecSet set = dir.load();

    assertThat(set.problems()).singleElement().extracting(Problem::path).isEqualTo("spec.subnet");
    assertThat(set.held())
        .containsExactlyInAnyOrder(ResourceKey.network("dev"), ResourceKey.service("web"));
  }

  static Stream<Arguments> brokenDependencies() {
    return Stream.of(
        Arguments.of(svc("b", "  bogus: 1\n"), "spec.bogus"),
        Arguments.of(onPackage("b", "nosuch", ""), "spec.package"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("brokenDependencies")
  void load_dependencyOnInvalidService_isNoErrorForTheDependent(String b, String path) {
    dir.file("a.yaml", svc("a", "  dependsOn: [b]\n"));
    dir.file("b.yaml", b);

    SpecSet set = dir.load();

    assertThat(set.problems()).singleElement().extracting(Problem::path).isEqualTo(path);
    assertThat(set.held()).containsExactly(ResourceKey.service("b"));
    assertThat(set.services()).extracting(Service::name).containsExactly("a");
  }

  @Test
  void load_dependencyOnUnknownService_isAnErrorListingKnownOnes() {
    dir.file("a.yaml", svc("a", "  dependsOn: [zz]\n"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            dir.shown("a.yaml")
                + ":8:15: spec.dependsOn[0]: no service `zz` is declared; declared: a");
  }

  // ---- cycles --------------------------------------------------------------------------------

  @Test
  void load_twoCycles_areEachReportedOnceWithTheirPath() {
    dir.file(
        "all.yaml",
        svc("a", "  dependsOn: [b]\n")
            + "---\n"
            + svc("b", "  dependsOn: [a]\n")
            + "---\n"
            + svc("c", "  dependsOn: [e]\n")
            + "---\n"
            + svc("d", "  dependsOn: [c]\n")
            + "---\n"
            + svc("e", "  dependsOn: [d]\n")
            + "---\n"
            + svc("web", "  dependsOn: [a, c]\n"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::message)
        .containsExactly(
            "dependency cycle: a → b → a; remove one of these dependencies",
            "dependency cycle: c → e → d → c; remove one of these dependencies");
    assertThat(set.problems()).extracting(Problem::line).containsExactly(8, 26);
    assertThat(set.held())
        .extracting(ResourceKey::name)
        .containsExactlyInAnyOrder("a", "b", "c", "d", "e");
    assertThat(set.services()).extracting(Service::name).containsExactly("web");
  }

  @Test
  void load_diamond_isNoCycle() {
    dir.file(
        "all.yaml",
        svc("a", "  dependsOn: [b, c]\n")
            + "---\n"
            + svc("b", "  dependsOn: [d]\n")
            + "---\n"
            + svc("c", "  dependsOn: [d]\n")
            + "---\n"
            + svc("d", ""));

    SpecSet set = dir.load();

    assertThat(set.problems()).isEmpty();
    assertThat(set.services()).hasSize(4);
  }

  @Test
  void load_chain_isValid() {
    StringBuilder b = new StringBuilder();
    int n = 200;
    for (int i = 0; i < n; i++) {
      dir.pkg("s" + i, "1");
      b.append(svc("s" + i, i + 1 < n ? "  dependsOn: [s" + (i + 1) + "]\n" : "")).append("---\n");
    }
    dir.file("chain.yaml", b.toString());

    SpecSet set = dir.load();

    assertThat(set.problems()).isEmpty();
    assertThat(set.services()).hasSize(n);
  }

  // ---- run states ----------------------------------------------------------------------------

  @Test
  void load_stoppedServiceDependingOnStopped_isValid() {
    dir.file(
        "all.yaml",
        svc("a", "  dependsOn: [b]\n  state: stopped\n")
            + "---\n"
            + svc("b", "  state: stopped\n")
            + "---\n"
            + svc("c", "  dependsOn: [a]\n  state: stopped\n"));

    assertThat(dir.load().problems()).isEmpty();
  }

  @Test
  void load_stoppedServiceDependingOnRunning_isValid() {
    dir.file("all.yaml", svc("a", "  dependsOn: [b]\n  state: stopped\n") + "---\n" + svc("b", ""));

    assertThat(dir.load().problems()).isEmpty();
  }

  // ---- nodes and addresses -------------------------------------------------------------------

  @Test
  void load_singleNodeNetwork_resolvesTheNode() {
    dir.file("lan.yaml", LAN);
    dir.file("web.yaml", svc("web", "").replace("network: dev", "network: prod"));

    SpecSet set = dir.load();

    assertThat(set.problems()).isEmpty();
    assertThat(set.services().get(0).spec().node()).isEqualTo("n1");
  }

  @Test
  void load_explicitNodeOrResolvedNode_giveTheSameHash() {
    dir.file("lan.yaml", LAN);
    dir.file("web.yaml", svc("web", "").replace("network: dev", "network: prod"));
    String resolved = dir.load().services().get(0).specHash();
    dir.file("web.yaml", svc("web", "  node: n1\n").replace("network: dev", "network: prod"));

    assertThat(dir.load().services().get(0).specHash()).isEqualTo(resolved);
  }

  @Test
  void load_localNetworkWithNodeLocal_isValidAndOtherNodesAreNot() {
    dir.file("a.yaml", svc("a", "  node: local\n"));
    dir.file("b.yaml", svc("b", "  node: n1\n"));

    SpecSet set = dir.load();

    assertThat(set.services()).extracting(Service::name).containsExactly("a");
    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            dir.shown("b.yaml")
                + ":8:9: spec.node: network `dev` is local; its only node is `local`"
                + " (or leave `node` out)");
  }

  @Test
  void load_networkWithoutNodes_cannotRunServices() {
    dir.file(
        "lan.yaml",
        LAN.replace("  nodes: [{name: n1, address: 10.0.0.10, ssh: {user: deploy}}]\n", ""));
    dir.file("web.yaml", svc("web", "").replace("network: dev", "network: prod"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            dir.shown("web.yaml")
                + ":4:1: spec.node: network `prod` declares no nodes, so there is nowhere to run"
                + " this");
  }

  @Test
  void load_sameStaticAddressInTwoNetworks_isValid() {
    dir.file("net2.yaml", SpecDir.LOCAL_NETWORK.replace("name: dev", "name: dev2"));
    dir.file("a.yaml", svc("a", "  address: 127.0.10.7\n"));
    dir.file(
        "b.yaml", svc("b", "  address: 127.0.10.7\n").replace("network: dev", "network: dev2"));

    assertThat(dir.load().problems()).isEmpty();
  }

  @Test
  void load_staticAddressInSubnet_isKept() {
    dir.file("a.yaml", svc("a", "  address: 127.0.10.7\n"));

    assertThat(dir.load().services().get(0).spec().address()).contains(Ipv4.of("127.0.10.7"));
  }

  // ---- a broken package hides no other problem -----------------------------------------------

  /** A spec file of the table, and the problems it must show: location, field path, message. */
  private record Row(String file, String text, List<String> expected) {}

  private static String onPackage(String name, String pkg, String extra) {
    return svc(name, extra).replace("package: ../packages/" + name, "package: ../packages/" + pkg);
  }

  @Test
  void load_brokenPackagesAmongOtherMistakes_everyProblemInOnePass() {
    String missing = "package `../packages/nosuch` not found (looked for ";
    List<Row> table =
        List.of(
            new Row("lan.yaml", LAN, List.of()),
            new Row(
                "a.yaml",
                onPackage("a", "nosuch", "  dependsOn: [b]\n"),
                List.of(
                    "6:12: spec.package: " + missing,
                    "8:15: spec.dependsOn[0]: dependency cycle: a → b → a; remove one of these"
                        + " dependencies")),
            new Row("b.yaml", svc("b", "  dependsOn: [a]\n"), List.of()),
            new Row(
                "c.yaml",
                onPackage("c", "web", "").replace("network: dev", "network: nowhere"),
                List.of(
                    "3:18: metadata.name: the package `../packages/web` is named `web` in its"
                        + " manifest, not `c`",
                    "7:12: spec.network: no network `nowhere` is declared; declared: dev, prod")),
            new Row(
                "d.yaml",
                onPackage("d", "nosuch", "  address: 10.9.9.9\n"),
                List.of(
                    "6:12: spec.package: " + missing,
                    "8:12: spec.address: address 10.9.9.9 is outside the subnet 127.0.10.0/24 of"
                        + " network `dev`")),
            new Row(
                "e.yaml",
                onPackage("e", "nosuch", "  node: n9\n  address: 10.0.0.10\n")
                    .replace("network: dev", "network: prod"),
                List.of(
                    "6:12: spec.package: " + missing,
                    "8:9: spec.node: network `prod` has no node `n9`; its nodes: n1",
                    "9:12: spec.address: address 10.0.0.10 is the address of node `n1`")));
    List<String> expected = new ArrayList<>();
    for (Row row : table) {
      dir.file(row.file(), row.text());
      row.expected().forEach(e -> expected.add(dir.shown(row.file()) + ":" + e));
    }

    SpecSet set = dir.load();
    SpecSet live = new SpecCatalog(List.of(dir.specs)).rescan();

    assertThat(set.problems()).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(set.problems().get(i).toString()).startsWith(expected.get(i));
    }
    assertThat(live.problems()).isEqualTo(set.problems());
    assertThat(set.held())
        .containsExactlyInAnyOrder(
            ResourceKey.service("a"),
            ResourceKey.service("b"),
            ResourceKey.service("c"),
            ResourceKey.service("d"),
            ResourceKey.service("e"));
  }

  @Test
  void load_misnamedPackage_itsManifestDefaultsInventNoProblem() {
    dir.manifest("other", "name: other\nversion: \"1\"\ndepends_on: [zz]\n");
    dir.file("c.yaml", onPackage("c", "other", ""));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .singleElement()
        .extracting(Problem::path, Problem::line)
        .containsExactly("metadata.name", 3);
    assertThat(set.held()).containsExactly(ResourceKey.service("c"));
  }

  @Test
  void load_serviceWithMissingPackageDependsOnStoppedOne_bothProblemsShown() {
    dir.file("a.yaml", onPackage("a", "nosuch", "  dependsOn: [b]\n"));
    dir.file("b.yaml", svc("b", "  state: stopped\n"));

    SpecSet set = dir.load();

    assertThat(set.problems())
        .extracting(Problem::path)
        .containsExactly("spec.package", "spec.dependsOn[0]");
  }

  // ---- results -------------------------------------------------------------------------------

  @Test
  void validate_resourcesComeInFileAndDocumentOrder() {
    dir.file("b.yaml", svc("b", "") + "---\n" + svc("a", ""));
    dir.file("c.yaml", svc("c", ""));

    SpecSet set = dir.load();

    assertThat(set.resources())
        .extracting(r -> r.key().toString())
        .containsExactly("Service/b", "Service/a", "Service/c", "Network/dev");
    assertThat(set.files())
        .containsExactly(dir.shown("b.yaml"), dir.shown("c.yaml"), dir.shown("net.yaml"));
  }

  @Test
  void validate_sameInputTwice_givesEqualSets() {
    dir.file("a.yaml", svc("a", "  dependsOn: [b]\n") + "---\n" + svc("b", "  bogus: 1\n"));

    assertThat(dir.load()).isEqualTo(dir.load());
  }
}
