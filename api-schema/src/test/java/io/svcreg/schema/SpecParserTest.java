package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpecParserTest {

  @TempDir Path tmp;
  SpecDir dir;

  @BeforeEach
  void setUp() {
    dir = new SpecDir(tmp).pkg("web", "1.0.0").pkg("db", "16");
  }

  /** Parses one file (named f.yaml, packages resolved from specs/) with the local network. */
  private SpecSet parse(String yaml) {
    ParsedFile net = SpecParser.parse("net.yaml", SpecDir.LOCAL_NETWORK, dir.specs);
    ParsedFile f = SpecParser.parse("f.yaml", yaml, dir.specs);
    return SpecValidator.validate(List.of(f, net));
  }

  private Service onlyService(SpecSet set) {
    assertThat(set.problems()).isEmpty();
    assertThat(set.services()).hasSize(1);
    return set.services().get(0);
  }

  private List<String> messages(SpecSet set) {
    return set.problems().stream().map(p -> p.path() + ": " + p.message()).toList();
  }

  // ---- defaults and normalization ------------------------------------------------------------

  @Test
  void parse_minimalService_appliesDefaults() {
    Service s = onlyService(parse(SpecDir.service("web", "1.0.0", "")));

    ServiceSpec spec = s.spec();
    assertThat(spec.node()).isEqualTo(Node.LOCAL_NODE);
    assertThat(spec.execution()).isEqualTo(ExecutionType.MANAGED_PROCESS);
    assertThat(spec.state()).isEqualTo(RunState.RUNNING);
    assertThat(spec.rollout()).isEqualTo(Rollout.DEFAULT);
    assertThat(spec.endpoints()).isEmpty();
    assertThat(spec.dependsOn()).isEmpty();
    assertThat(spec.health()).isEmpty();
    assertThat(spec.address()).isEmpty();
    assertThat(s.specHash()).hasSize(16);
    assertThat(s.origin()).isEqualTo(new Location("f.yaml", 1, 1));
  }

  @Test
  void parse_spelledOutDefaultsAndReorderedFields_giveTheSameSpecHash() {
    String minimal =
        SpecDir.service(
            "web",
            "1.0.0",
            "  endpoints: [{name: http, port: 80}]\n  health: {script: scripts/health.sh}\n");
    String spelledOut =
        """
        # the same service, every default written out, fields in another order
        kind: Service
        apiVersion: svcreg.io/v1
        spec:
          state: running
          rollout: {autoRollback: true, progressDeadline: 1m}
          health: {failureThreshold: 3, timeout: 5000ms, interval: 10s, script: scripts/health.sh}
          execution: {type: managed_process}
          endpoints:
            - {protocol: tcp, port: 80, name: http}
          env: {}
          dependsOn: []
          node: local
          network: dev
          package: ../packages/web
          version: "1.0.0"
        metadata:
          labels: {}
          name: web
        """;

    Service a = onlyService(parse(minimal));
    Service b = onlyService(parse(spelledOut));

    assertThat(b.spec()).isEqualTo(a.spec());
    assertThat(b.specHash()).isEqualTo(a.specHash());
  }

  @Test
  void parse_differentSpecs_giveDifferentHashes() {
    Service a = onlyService(parse(SpecDir.service("web", "1.0.0", "")));
    Service b = onlyService(parse(SpecDir.service("web", "1.0.0", "  state: stopped\n")));

    assertThat(b.specHash()).isNotEqualTo(a.specHash());
  }

  @Test
  void parse_networkWithSpelledOutSshDefaults_equalsMinimal() {
    String minimal =
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: prod}
        spec:
          type: lan
          subnet: 192.168.1.0/24
          reserved: [192.168.1.9, 192.168.1.1]
          nodes: [{name: n1, address: 192.168.1.10, ssh: {user: deploy}}]
        """;
    String explicit =
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: prod}
        spec:
          nodes:
            - name: n1
              address: 192.168.1.10
              installRoot: /opt
              ssh:
                user: deploy
                port: 22
                identityFile: ~/.ssh/id_ed25519
                knownHosts: ~/.ssh/known_hosts
          reserved: [192.168.1.1, 192.168.1.9]
          subnet: 192.168.1.0/24
          type: lan
        """;

    SpecSet a = SpecValidator.validate(List.of(SpecParser.parse("a.yaml", minimal, tmp)));
    SpecSet b = SpecValidator.validate(List.of(SpecParser.parse("b.yaml", explicit, tmp)));

    assertThat(a.problems()).isEmpty();
    assertThat(b.problems()).isEmpty();
    Network na = a.networks().get(0);
    Network nb = b.networks().get(0);
    assertThat(nb.specHash()).isEqualTo(na.specHash());
    Node node = na.spec().nodes().get(0);
    assertThat(node.ssh())
        .isEqualTo(new Ssh("deploy", 22, "~/.ssh/id_ed25519", "~/.ssh/known_hosts"));
    assertThat(node.installRoot()).isEqualTo("/opt");
  }

  @Test
  void parse_multiDocumentFile_readsEveryResourceInOrder() {
    String text =
        "---\n"
            + SpecDir.LOCAL_NETWORK
            + "---\n"
            + SpecDir.service("web", "1.0.0", "  dependsOn: [db]\n")
            + "---\n"
            + SpecDir.service("db", "16", "")
            + "---\n";

    ParsedFile f = SpecParser.parse("all.yaml", text, dir.specs);
    SpecSet set = SpecValidator.validate(List.of(f));

    assertThat(set.problems()).isEmpty();
    assertThat(set.resources())
        .extracting(r -> r.key().toString())
        .containsExactly("Network/dev", "Service/web", "Service/db");
    assertThat(f.keys()).hasSize(3);
    assertThat(set.services().get(0).origin().line()).isEqualTo(7);
  }

  // ---- YAML 1.1 surprises --------------------------------------------------------------------

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiterString = " => ",
      value = {
        "version => 1.10 => `1.10` is read by YAML as a number (1.1); quote it: \"1.10\"",
        "version => 2 => `2` is read by YAML as a number (2); quote it: \"2\"",
        "version => 08 => `08` is read by YAML as a number; quote it: \"08\"",
        "version => 1e3 => `1e3` is read by YAML as a number (1000.0); quote it: \"1e3\"",
        "version => 0o17 => `0o17` is read by YAML as a number; quote it: \"0o17\"",
        "version => .inf => `.inf` is read by YAML as a number (.inf); quote it: \".inf\"",
        "version => 2024-01-01 => `2024-01-01` is read by YAML as a date; quote it: \"2024-01-01\"",
        "network => yes => `yes` is read by YAML as a boolean (true); quote it: \"yes\"",
        "network => null => `null` is read by YAML as null; quote it: \"null\"",
        "node => off => `off` is read by YAML as a boolean (false); quote it: \"off\"",
        "package => 123 => `123` is read by YAML as a number (123); quote it: \"123\"",
        "state => on => `on` is read by YAML as a boolean (true); expected running | stopped",
        "state => no => `no` is read by YAML as a boolean (false); expected running | stopped",
        "state => Running => unknown value `Running`; expected running | stopped",
      })
  void parse_stringOrEnumFieldWithYamlLookalike_isAnErrorWithAHint(
      String field, String value, String message) {
    String text =
        "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
            + "  version: \"1.0.0\"\n  package: ../packages/web\n  network: dev\n";
    text = text.replaceAll("(?m)^  " + field + ": .*\n", "");
    text += "  " + field + ": " + value + "\n";

    SpecSet set = parse(text);

    assertThat(messages(set)).containsExactly("spec." + field + ": " + message);
    assertThat(set.problems().get(0).line()).isEqualTo(text.split("\n").length);
    assertThat(set.problems().get(0).column()).isEqualTo(field.length() + 5);
    assertThat(set.held()).containsExactly(ResourceKey.service("web"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\"8080\" | expected an integer, 1–65535, got the string \"8080\"; remove the quotes",
        "0x1F90 | `0x1F90` is not a plain decimal integer (YAML reads it as 8080);"
            + " write port in decimal digits",
        "017 | `017` is not a plain decimal integer (YAML reads it as 15);"
            + " write port in decimal digits",
        "1_000 | `1_000` is not a plain decimal integer (YAML reads it as 1000);"
            + " write port in decimal digits",
        "8080.0 | expected an integer, 1–65535, got the number 8080.0",
        "0 | port 0 is out of range; expected 1–65535",
        "99999999999999999999 | port 99999999999999999999 is out of range; expected 1–65535",
        "true | expected an integer, 1–65535, got the boolean true",
        "[80] | expected an integer, 1–65535, got a list",
      })
  void parse_portThatIsNotAPlainInteger_isAnError(String value, String message) {
    SpecSet set =
        parse(
            SpecDir.service(
                "web", "1.0.0", "  endpoints:\n  - name: http\n    port: " + value + "\n"));

    assertThat(messages(set)).containsExactly("spec.endpoints[0].port: " + message);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "yes | `yes` is not portable YAML for a boolean (YAML 1.1 reads it as true,"
            + " YAML 1.2 as a string); write true or false",
        "True | `True` is not portable YAML for a boolean (YAML 1.1 reads it as true,"
            + " YAML 1.2 as a string); write true or false",
        "\"true\" | expected true or false, got the string \"true\"; remove the quotes",
        "1 | expected true or false, got the number 1",
        "\"\" | expected true or false, got the string \"\"",
      })
  void parse_autoRollbackThatIsNotLiterallyTrueOrFalse_isAnError(String value, String message) {
    SpecSet set =
        parse(SpecDir.service("web", "1.0.0", "  rollout: {autoRollback: " + value + "}\n"));

    assertThat(messages(set)).containsExactly("spec.rollout.autoRollback: " + message);
  }

  @Test
  void parse_quotedLookalikes_areStrings() {
    Service s =
        onlyService(
            parse(
                "apiVersion: svcreg.io/v1\nkind: Service\n"
                    + "metadata: {name: web, labels: {enabled: \"yes\", count: '3'}}\n"
                    + "spec:\n  version: \"1.0.0\"\n  package: ../packages/web\n  network: dev\n"
                    + "  env: {DEBUG: \"true\", RATIO: '0.5', EMPTY: '', HEX: \"0x1F\"}\n"));

    assertThat(s.metadata().labels()).isEqualTo(Map.of("enabled", "yes", "count", "3"));
    assertThat(s.spec().env())
        .isEqualTo(Map.of("DEBUG", "true", "RATIO", "0.5", "EMPTY", "", "HEX", "0x1F"));
  }

  @Test
  void parse_versionWithLetters_isAPlainString() {
    dir.pkg("web", "1.2.3-rc.1+build");
    Service s = onlyService(parse(SpecDir.service("web", "1.2.3-rc.1+build", "")));

    assertThat(s.spec().version()).isEqualTo("1.2.3-rc.1+build");
  }

  @Test
  void parse_invalidVersion_isAnError() {
    SpecSet set = parse(SpecDir.service("web", "1.0 beta", ""));

    assertThat(messages(set))
        .containsExactly(
            "spec.version: `1.0 beta` is not a valid version; use letters, digits and . _ + -,"
                + " starting with a letter or digit (e.g. 1.2.3)");
  }

  // ---- names ---------------------------------------------------------------------------------

  @Test
  void parse_nameLongerThan63_isAnErrorAndLeavesTheSetIncomplete() {
    String name = "a".repeat(64);
    SpecSet set = parse(SpecDir.service(name, "1.0.0", ""));

    assertThat(messages(set))
        .containsExactly("metadata.name: `" + name + "` is too long (64 characters; at most 63)");
    assertThat(set.complete()).isFalse();
  }

  @Test
  void parse_nameOf63_isAccepted() {
    String name = "a".repeat(63);
    dir.pkg(name, "1.0.0");

    assertThat(onlyService(parse(SpecDir.service(name, "1.0.0", ""))).name()).isEqualTo(name);
  }

  @Test
  void parse_missingTopLevelFields_areReportedAtTheDocument() {
    SpecSet set = parse("kind: Service\nmetadata: {name: web}\n");

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            "f.yaml:1:1: apiVersion: missing required field `apiVersion`",
            "f.yaml:1:1: spec: missing required field `spec`");
    assertThat(set.held()).containsExactly(ResourceKey.service("web"));
  }

  @Test
  void parse_unknownTopLevelField_isReportedAtItsKey() {
    SpecSet set = parse(SpecDir.service("web", "1.0.0", "") + "status: {phase: running}\n");

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            "f.yaml:8:1: status: unknown field `status`; allowed: apiVersion, kind, metadata, spec");
  }

  // ---- network rules -------------------------------------------------------------------------

  private SpecSet network(String specYaml) {
    String text =
        "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: n}\nspec:\n" + specYaml;
    return SpecValidator.validate(List.of(SpecParser.parse("n.yaml", text, tmp)));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.0/33 | `10.0.0.0/33` is not a valid subnet: prefix length '33' must be a number"
            + " from 0 to 32",
        "10.0.0.0 | `10.0.0.0` is not a valid subnet: expected an IPv4 subnet like 192.168.1.0/24",
        "10.0.0.256/24 | `10.0.0.256/24` is not a valid subnet: '10.0.0.256' is not an IPv4"
            + " address; expected e.g. 10.0.0.0/24",
        "10.0.0.128/24 | `10.0.0.128/24` is not a valid subnet: host bits are set; the network"
            + " address of this subnet is 10.0.0.0/24",
      })
  void parse_invalidSubnet_isAnError(String subnet, String message) {
    SpecSet set = network("  type: lan\n  subnet: " + subnet + "\n");

    assertThat(messages(set)).containsExactly("spec.subnet: " + message);
  }

  @Test
  void parse_localNetworkOutsideLoopback_isAnError() {
    SpecSet set = network("  type: local\n  subnet: 126.0.0.0/7\n");

    assertThat(messages(set))
        .containsExactly(
            "spec.subnet: a local network's subnet must be inside 127.0.0.0/8 (loopback),"
                + " e.g. 127.0.10.0/24");
  }

  @Test
  void parse_localNetworkOfAllLoopback_isValid() {
    SpecSet set = network("  type: local\n  subnet: 127.0.0.0/8\n");

    assertThat(set.problems()).isEmpty();
    assertThat(set.networks().get(0).spec().nodes()).isEmpty();
  }

  @Test
  void parse_wireguardNetwork_keepsConfigPath() {
    SpecSet set =
        network(
            "  type: wireguard\n  subnet: 10.8.0.0/24\n"
                + "  wireguard: {configPath: /etc/wireguard/wg0.conf}\n"
                + "  nodes: [{name: peer, address: 10.8.0.2, ssh: {user: root, port: 2222}}]\n");

    assertThat(set.problems()).isEmpty();
    NetworkSpec spec = set.networks().get(0).spec();
    assertThat(spec.wireguard()).contains(new WireGuard("/etc/wireguard/wg0.conf"));
    assertThat(spec.nodes().get(0).ssh().port()).isEqualTo(2222);
  }

  @Test
  void parse_reservedAndNodeAddressClash_isAnErrorAtTheNode() {
    SpecSet set =
        network(
            "  type: lan\n  subnet: 10.0.0.0/24\n  reserved: [10.0.0.5]\n"
                + "  nodes: [{name: a, address: 10.0.0.5, ssh: {user: u}}]\n");

    assertThat(set.problems())
        .extracting(Problem::toString)
        .containsExactly(
            "n.yaml:8:30: spec.nodes[0].address: address 10.0.0.5 is listed in spec.reserved");
  }

  @Test
  void parse_reservedNotAnAddress_isAnError() {
    SpecSet set = network("  type: lan\n  subnet: 10.0.0.0/24\n  reserved: [10.0.0.x, 10.0.0.7]\n");

    assertThat(messages(set))
        .containsExactly(
            "spec.reserved[0]: `10.0.0.x` is not an IPv4 address; expected e.g. 192.168.1.10");
  }

  @Test
  void parse_slash31_hasNoNetworkOrBroadcastAddress() {
    SpecSet set =
        network(
            "  type: lan\n  subnet: 10.0.0.0/31\n"
                + "  nodes: [{name: a, address: 10.0.0.0, ssh: {user: u}},"
                + " {name: b, address: 10.0.0.1, ssh: {user: u}}]\n");

    assertThat(set.problems()).isEmpty();
  }

  // ---- service rules -------------------------------------------------------------------------

  @Test
  void parse_allServiceFields_areRead() {
    Service s =
        onlyService(
            parse(
                SpecDir.service(
                        "web",
                        "1.0.0",
                        """
                      node: local
                      address: 127.0.10.20
                      execution: {type: managed_process}
                      endpoints:
                        - {name: http, port: 8080, protocol: http}
                        - {name: rpc, port: 9000, protocol: grpc}
                        - {name: dns, port: 53, protocol: udp}
                      dependsOn: [db]
                      env: {LOG_LEVEL: info, _X1: "1"}
                      health: {script: bin/check, interval: 1m30s, timeout: 500ms, failureThreshold: 5}
                      state: running
                      rollout: {progressDeadline: 2m, autoRollback: false}
                    """)
                    + "---\n"
                    + SpecDir.service("db", "16", "")),
            "web");

    ServiceSpec spec = s.spec();
    assertThat(spec.address()).contains(Ipv4.of("127.0.10.20"));
    assertThat(spec.endpoints())
        .containsExactly(
            new Endpoint("http", 8080, Protocol.HTTP),
            new Endpoint("rpc", 9000, Protocol.GRPC),
            new Endpoint("dns", 53, Protocol.UDP));
    assertThat(spec.dependsOn()).containsExactly("db");
    assertThat(spec.env()).containsEntry("LOG_LEVEL", "info").containsEntry("_X1", "1");
    assertThat(spec.health())
        .contains(
            new HealthCheck(
                "bin/check", SpecDuration.parse("90s").get(), new SpecDuration(500), 5));
    assertThat(spec.rollout()).isEqualTo(new Rollout(SpecDuration.ofSeconds(120), false));
  }

  private Service onlyService(SpecSet set, String name) {
    assertThat(set.problems()).isEmpty();
    return set.services().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void parse_invalidAddress_isAnError() {
    SpecSet set = parse(SpecDir.service("web", "1.0.0", "  address: 127.0.10\n"));

    assertThat(messages(set))
        .containsExactly(
            "spec.address: `127.0.10` is not an IPv4 address; expected e.g. 192.168.1.10");
  }

  @Test
  void parse_dockerExecution_ofAPackageWithoutServiceType_isAccepted() {
    SpecSet set = parse(SpecDir.service("web", "1.0.0", "  execution: {type: docker}\n"));

    assertThat(messages(set)).isEmpty();
    assertThat(set.services().get(0).spec().execution()).isEqualTo(ExecutionType.DOCKER);
  }

  @Test
  void parse_dependsOnListedTwice_isAnError() {
    SpecSet set =
        parse(
            SpecDir.service("web", "1.0.0", "  dependsOn: [db, db]\n")
                + "---\n"
                + SpecDir.service("db", "16", ""));

    assertThat(messages(set))
        .containsExactly("spec.dependsOn[1]: dependency `db` is listed twice (first at line 8)");
  }

  @Test
  void parse_healthScriptAbsolute_isAnError() {
    SpecSet set = parse(SpecDir.service("web", "1.0.0", "  health: {script: /bin/true}\n"));

    assertThat(messages(set))
        .containsExactly(
            "spec.health.script: `/bin/true` must be relative to the package directory"
                + " (e.g. scripts/health.sh)");
  }

  @Test
  void parse_badDurations_areErrors() {
    SpecSet set =
        parse(
            SpecDir.service(
                "web",
                "1.0.0",
                "  health: {script: s.sh, interval: 10 s}\n  rollout: {progressDeadline: 0s}\n"));

    assertThat(messages(set))
        .containsExactly(
            "spec.health.interval: `10 s` is not a duration; expected a number and unit"
                + " (ms, s, m, h), e.g. 500ms, 30s, 1m30s (at most a year)",
            "spec.rollout.progressDeadline: must be longer than zero, e.g. 10s");
  }

  @Test
  void parse_emptyPackage_isAnError() {
    SpecSet set = parse(SpecDir.service("web", "1.0.0", "").replace("../packages/web", "''"));

    assertThat(messages(set)).containsExactly("spec.package: must not be empty");
  }

  @Test
  void parse_textInMemory_resolvesPackagesFromTheGivenDirectory() {
    ParsedFile f = SpecParser.parse("applied.yaml", SpecDir.service("web", "1.0.0", ""), dir.specs);

    assertThat(f.problems()).isEmpty();
    assertThat(f.keys()).containsExactly(ResourceKey.service("web"));
    assertThat(f.complete()).isTrue();
    assertThat(f.file()).isEqualTo("applied.yaml");
  }

  @Test
  void parse_packagesAt_readsThePackageFromWhereItIsGiven() {
    Path elsewhere = new SpecDir(tmp.resolve("elsewhere")).pkg("api", "2.0.0").root;
    String api = SpecDir.service("api", "2.0.0", "");
    Path at = tmp.resolve("packages/api").toAbsolutePath();

    ParsedFile without = SpecParser.parse("api.yaml", api, dir.specs);
    ParsedFile with =
        SpecParser.parse(
            "api.yaml",
            api,
            dir.specs,
            Map.of(at, elsewhere.resolve("packages/api").toAbsolutePath()));

    assertThat(without.problems()).extracting(Problem::path).containsExactly("spec.package");
    assertThat(with.problems()).isEmpty();
  }

  @Test
  void packageRefs_servicesThatCouldBeRead_refAndWhereItIsWritten() {
    String text =
        SpecDir.service("web", "1.0.0", "")
            + "---\n"
            + SpecDir.service("db", "99", "")
            + "---\n"
            + SpecDir.service("x", "1", "  colour: blue\n");

    ParsedFile f = SpecParser.parse("f.yaml", text, dir.specs);

    assertThat(f.packageRefs())
        .containsExactly(
            new PackageRef("../packages/web", new Location("f.yaml", 6, 12)),
            new PackageRef("../packages/db", new Location("f.yaml", 14, 12)));
  }

  @Test
  void parse_emptyText_declaresNothing() {
    ParsedFile f = SpecParser.parse("empty.yaml", "", tmp);

    assertThat(f.keys()).isEmpty();
    assertThat(f.problems()).isEmpty();
    assertThat(f.complete()).isTrue();
  }

  @Test
  void parse_scalarDocument_isAnErrorAndIncomplete() {
    ParsedFile f = SpecParser.parse("x.yaml", "just text\n", tmp);

    assertThat(f.problems())
        .extracting(Problem::toString)
        .containsExactly("x.yaml:1:1: expected a mapping, got the string \"just text\"");
    assertThat(f.complete()).isFalse();
  }

  @Test
  void parse_labelsAndAnnotations_areKeptSorted() {
    Service s =
        onlyService(
            parse(
                SpecDir.service("web", "1.0.0", "")
                    .replace(
                        "metadata: {name: web}",
                        "metadata: {name: web, labels: {z: '1', a: '2'},"
                            + " annotations: {example.com/owner: team}}")));

    assertThat(s.metadata().labels().keySet()).containsExactly("a", "z");
    assertThat(s.metadata().annotations()).containsEntry("example.com/owner", "team");
  }

  @Test
  void parse_unresolvedOptionalAddress_isEmpty() {
    assertThat(onlyService(parse(SpecDir.service("web", "1.0.0", ""))).spec().address())
        .isEqualTo(Optional.empty());
  }

  @Test
  void readAll_filesThatBlock_leaveTheCommonPoolFree() throws Exception {
    // named pipes block their reader until written: read in parallel, every reading thread waits
    List<Path> pipes = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Path p = tmp.resolve("pipe-" + i + ".yaml");
      assertThat(new ProcessBuilder("mkfifo", p.toString()).start().waitFor()).isZero();
      pipes.add(p);
    }
    List<String> names = pipes.stream().map(p -> p.getFileName().toString()).toList();
    CompletableFuture<List<ParsedFile>> read = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .start(
            () ->
                read.complete(SpecParser.readAll(names, pipes, ParseContext.ofWorkingDirectory())));
    try {
      Awaitility.await("every reading thread waits on a pipe")
          .atMost(Duration.ofSeconds(10))
          .until(() -> readersOnAPipe() >= Math.min(2, Runtime.getRuntime().availableProcessors()));

      assertThat(CompletableFuture.supplyAsync(() -> "done").get(10, TimeUnit.SECONDS))
          .as("a task of the common pool while the spec files block")
          .isEqualTo("done");
    } finally {
      for (Path p : pipes) {
        // each pipe is written as soon as it is opened for reading (opening it for writing waits)
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  try {
                    Files.writeString(p, "# nothing\n");
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                });
      }
    }
    assertThat(read.get(30, TimeUnit.SECONDS)).hasSize(40);
  }

  /** How many threads of this JVM are opening a file (the pipes block them there). */
  private static long readersOnAPipe() {
    return Thread.getAllStackTraces().values().stream()
        .filter(
            st ->
                Arrays.stream(st)
                    .anyMatch(
                        f ->
                            f.getMethodName().equals("open0")
                                && f.getClassName().endsWith("UnixNativeDispatcher")))
        .count();
  }
}
