package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JSON Schemas that editors and the ajv cross-check use say the same as the Java model: the
 * same enums, defaults and patterns, a description on every property, and no unknown fields.
 */
class JsonSchemasTest {

  private static final String BASE = "https://svcreg.io/schemas/v1/";
  private static final List<String> FILES =
      List.of(
          "network.schema.json",
          "service.schema.json",
          "svcreg.schema.json",
          "package-manifest.schema.json",
          "plan.schema.json");

  static JsonNode schema(String file) {
    try (InputStream in = JsonSchemasTest.class.getResourceAsStream("/schemas/" + file)) {
      assertThat(in).as("classpath resource /schemas/%s", file).isNotNull();
      return Json.mapper().readTree(in);
    } catch (IOException e) {
      throw new SchemaException("cannot read schema " + file, e);
    }
  }

  static Stream<String> files() {
    return FILES.stream();
  }

  @ParameterizedTest
  @MethodSource("files")
  void schema_header_isDraft202012WithItsOwnId(String file) {
    JsonNode s = schema(file);
    assertThat(s.path("$schema").asText())
        .isEqualTo("https://json-schema.org/draft/2020-12/schema");
    assertThat(s.path("$id").asText()).isEqualTo(BASE + file);
    assertThat(s.path("description").asText()).isNotBlank();
  }

  @ParameterizedTest
  @MethodSource("files")
  void schema_everyProperty_hasADescriptionForEditors(String file) {
    List<String> missing = new ArrayList<>();
    walk(
        schema(file),
        "",
        (path, node) -> {
          JsonNode props = node.path("properties");
          if (props.isObject() && !inside(path, "if")) {
            props
                .fieldNames()
                .forEachRemaining(
                    name -> {
                      JsonNode p = props.get(name);
                      if (p.isObject() && !p.hasNonNull("description")) {
                        missing.add(path + "/properties/" + name);
                      }
                    });
          }
        });
    assertThat(missing).as("properties without a description").isEmpty();
  }

  @ParameterizedTest
  @MethodSource("files")
  void schema_everyObjectWithProperties_rejectsUnknownFields(String file) {
    List<String> open = new ArrayList<>();
    walk(
        schema(file),
        "",
        (path, node) -> {
          boolean declaresFields = node.path("properties").isObject();
          boolean dispatches = node.has("allOf") && !node.has("additionalProperties");
          boolean insideCondition = inside(path, "if") || inside(path, "then");
          if (declaresFields && !dispatches && !insideCondition) {
            if (!node.path("additionalProperties").isBoolean()
                || node.path("additionalProperties").asBoolean()) {
              open.add(path.isEmpty() ? "(root)" : path);
            }
          }
        });
    assertThat(open).as("objects that would accept unknown fields").isEmpty();
  }

  @Test
  void enums_matchTheJavaWireNames() {
    JsonNode net = schema("network.schema.json").path("$defs");
    JsonNode svc = schema("service.schema.json").path("$defs");
    JsonNode man = schema("package-manifest.schema.json").path("properties");
    assertThat(strings(net.at("/networkSpec/properties/type/enum")))
        .containsExactlyElementsOf(wireNames(NetworkType.values()));
    assertThat(strings(svc.at("/endpoint/properties/protocol/enum")))
        .containsExactlyElementsOf(wireNames(Protocol.values()));
    assertThat(strings(man.at("/service/properties/ports/items/properties/protocol/enum")))
        .containsExactlyElementsOf(wireNames(Protocol.values()));
    assertThat(strings(svc.at("/serviceSpec/properties/state/enum")))
        .containsExactlyElementsOf(wireNames(RunState.values()));
    assertThat(strings(svc.at("/serviceSpec/properties/execution/properties/type/enum")))
        .containsExactlyElementsOf(wireNames(ExecutionType.values()));
    assertThat(strings(man.at("/service/properties/type/enum")))
        .containsExactlyElementsOf(wireNames(ExecutionType.values()));
    assertThat(schema("svcreg.schema.json").at("/properties/kind/enum"))
        .extracting(JsonNode::asText)
        .containsExactly(Kind.NETWORK.wireName(), Kind.SERVICE.wireName());
  }

  @Test
  void defaults_matchTheJavaDefaults() {
    JsonNode net = schema("network.schema.json").path("$defs");
    JsonNode spec = schema("service.schema.json").at("/$defs/serviceSpec/properties");
    assertThat(net.at("/ssh/properties/port/default").asInt()).isEqualTo(Ssh.DEFAULT_PORT);
    assertThat(net.at("/ssh/properties/identityFile/default").asText())
        .isEqualTo(Ssh.DEFAULT_IDENTITY_FILE);
    assertThat(net.at("/ssh/properties/knownHosts/default").asText())
        .isEqualTo(Ssh.DEFAULT_KNOWN_HOSTS);
    assertThat(net.at("/node/properties/installRoot/default").asText())
        .isEqualTo(Node.DEFAULT_INSTALL_ROOT);
    assertThat(spec.at("/health/properties/interval/default").asText())
        .isEqualTo(HealthCheck.DEFAULT_INTERVAL.toString());
    assertThat(spec.at("/health/properties/timeout/default").asText())
        .isEqualTo(HealthCheck.DEFAULT_TIMEOUT.toString());
    assertThat(spec.at("/health/properties/failureThreshold/default").asInt())
        .isEqualTo(HealthCheck.DEFAULT_FAILURE_THRESHOLD);
    assertThat(SpecDuration.parse(spec.at("/rollout/properties/progressDeadline/default").asText()))
        .contains(Rollout.DEFAULT.progressDeadline());
    assertThat(spec.at("/rollout/properties/autoRollback/default").asBoolean())
        .isEqualTo(Rollout.DEFAULT.autoRollback());
    assertThat(spec.at("/state/default").asText()).isEqualTo(RunState.RUNNING.wireName());
    assertThat(spec.at("/execution/properties/type/default").asText())
        .isEqualTo(ExecutionType.MANAGED_PROCESS.wireName());
    assertThat(
            schema("service.schema.json")
                .at("/$defs/endpoint/properties/protocol/default")
                .asText())
        .isEqualTo(Protocol.TCP.wireName());
  }

  @Test
  void sharedDefinitions_areIdenticalInEverySchema() {
    assertSame("dnsLabel", "network", "service", "package-manifest", "plan");
    assertSame("ipv4", "network", "service", "plan");
    assertSame("metadata", "network", "service");
    assertSame("version", "service", "package-manifest");
    assertSame("duration", "service", "package-manifest");
    assertThat(def("service", "duration").path("pattern").asText()).isEqualTo(SpecDuration.PATTERN);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0.0.0.0",
        "127.0.0.1",
        "255.255.255.255",
        "192.168.1.100",
        "10.0.0.9",
        "01.2.3.4",
        "1.2.3.04",
        "256.0.0.1",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.4 ",
        "a.b.c.d",
        "1..2.3",
        "-1.2.3.4",
        "1.2.3.999",
        ""
      })
  void ipv4Pattern_agreesWithTheJavaParser(String text) {
    Pattern p = Pattern.compile(def("network", "ipv4").path("pattern").asText());
    assertThat(p.matcher(text).find()).isEqualTo(Ipv4.parse(text).isPresent());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.0.0.0/8", "0.0.0.0/0", "192.168.1.0/24", "192.168.1.7/32", "127.0.0.0/8", "1.2.3.0/33",
        "1.2.3.0/", "1.2.3.0", "1.2.3.0/024", "01.2.3.0/24", "1.2.3.0/-1", "1.2.3.0/2a",
        "10.0.0.0/08"
      })
  void cidrPattern_agreesWithTheJavaParserOnSyntax(String text) {
    Pattern p = Pattern.compile(def("network", "cidr").path("pattern").asText());
    boolean javaAccepts = Cidr.parse(text) instanceof Cidr.Parsed.Ok;
    assertThat(p.matcher(text).find()).isEqualTo(javaAccepts);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"500ms", "30s", "5m", "1h", "1m30s", "0s", "10", "10 s", "s", "1d", "1.5s", ""})
  void durationPattern_agreesWithTheJavaParser(String text) {
    Pattern p = Pattern.compile(def("service", "duration").path("pattern").asText());
    assertThat(p.matcher(text).find()).isEqualTo(SpecDuration.parse(text).isPresent());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "api-server", "x1", "1x", "-a", "a-", "A", "a_b", "a.b", "", "a--b"})
  void dnsLabelPattern_acceptsExactlyDns1123Labels(String text) {
    Pattern p = Pattern.compile(def("network", "dnsLabel").path("pattern").asText());
    boolean label = text.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") && text.length() <= 63;
    assertThat(p.matcher(text).find()).isEqualTo(label);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "scripts/health.sh",
        "health.sh",
        "a..b/c",
        "./x",
        "/abs/health.sh",
        "../x",
        "a/../b",
        "a/..",
        "..",
        ""
      })
  void healthScriptPattern_agreesWithTheJavaRule(String text) {
    String spec =
        schema("service.schema.json")
            .at("/$defs/serviceSpec/properties/health/properties/script/pattern")
            .asText();
    String manifest =
        schema("package-manifest.schema.json")
            .at("/properties/health/properties/script/pattern")
            .asText();
    assertThat(manifest).isEqualTo(spec);
    assertThat(Pattern.compile(spec).matcher(text).find())
        .isEqualTo(Names.relativePath(text) == null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/opt", "/", "/srv/svc..old", "opt", "~/apps", "/opt/..", "/a/../b", ""})
  void installRootPattern_agreesWithTheJavaRule(String text) {
    String pattern = def("network", "node").at("/properties/installRoot/pattern").asText();
    assertThat(Pattern.compile(pattern).matcher(text).find())
        .isEqualTo(Names.absolutePath(text) == null);
  }

  private static void assertSame(String def, String... schemas) {
    JsonNode first = def(schemas[0], def);
    assertThat(first.isMissingNode()).as("%s in %s", def, schemas[0]).isFalse();
    for (String s : Arrays.asList(schemas).subList(1, schemas.length)) {
      assertThat(def(s, def)).as("$defs/%s in %s.schema.json", def, s).isEqualTo(first);
    }
  }

  private static JsonNode def(String schema, String name) {
    return schema(schema + ".schema.json").path("$defs").path(name);
  }

  private static List<String> strings(JsonNode array) {
    assertThat(array.isArray()).as("an enum array").isTrue();
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<String> wireNames(WireEnum[] values) {
    return Arrays.stream(values).map(WireEnum::wireName).toList();
  }

  /** Visits every object node with its JSON-pointer-like path. */
  private static void walk(JsonNode node, String path, Visitor visitor) {
    if (node.isObject()) {
      visitor.visit(path, node);
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        walk(f.getValue(), path + "/" + f.getKey(), visitor);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), path + "/" + i, visitor);
      }
    }
  }

  /** Whether the path passes through a keyword, e.g. {@code if}. */
  private static boolean inside(String path, String keyword) {
    return ("/" + path + "/").contains("/" + keyword + "/");
  }

  private interface Visitor {
    void visit(String path, JsonNode node);
  }
}
