package io.svcreg.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Json;
import io.svcreg.schema.Problem;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plan -o json} (a {@link Plan} written by the project's JSON mapper) conforms to {@code
 * plan.schema.json}, checked independently with ajv ({@code tools/node/validate-specs.mjs}).
 */
class PlanJsonSchemaIT {

  private static final Path ROOT =
      Path.of(System.getProperty("svcreg.project.root", "..")).toAbsolutePath().normalize();

  @TempDir Path dir;

  @Test
  void quickStartPlan_fromNothing_conformsToThePlanSchema() throws Exception {
    SpecSet desired = SpecLoader.load(List.of(ROOT.resolve("examples/services.yaml")));
    Plan plan = Planner.plan(desired, ObservedState.EMPTY);
    assertThat(plan.actions()).isNotEmpty();

    assertThat(ajv(Json.mapper().writeValueAsString(plan))).isEqualTo("valid");
  }

  @Test
  void planWithEveryActionTypeAndAProblem_conformsToThePlanSchema() throws Exception {
    assertThat(ajv(Json.mapper().writeValueAsString(everything()))).isEqualTo("valid");
  }

  @Test
  void planJson_withAnUnknownActionField_isRejectedByTheSchema() throws Exception {
    ObjectNode json = (ObjectNode) Json.mapper().valueToTree(everything());
    ((ObjectNode) json.at("/waves/0/actions/0")).put("extra", 1);

    assertThat(ajv(Json.mapper().writeValueAsString(json))).contains("waves[0].actions[0].extra");
  }

  @Test
  void planOfSpecsInAGitWorkTree_conformsToThePlanSchema() throws Exception {
    Plan plan =
        everything().withSourceRevision(Optional.of("0123456789abcdef".repeat(2) + "01234567"));

    assertThat(ajv(Json.mapper().writeValueAsString(plan))).isEqualTo("valid");
  }

  @Test
  void planJson_sourceRevisionNotACommitHash_isRejectedByTheSchema() throws Exception {
    ObjectNode json = (ObjectNode) Json.mapper().valueToTree(everything());
    json.put("sourceRevision", "main");

    assertThat(ajv(Json.mapper().writeValueAsString(json))).contains("sourceRevision");
  }

  private static Plan everything() {
    Ipv4 ip = Ipv4.of("127.0.0.2");
    List<Action> actions =
        List.of(
            new Action.AllocateAddress("api", "local", ip),
            new Action.Deploy("api", "local", "1.0.1", "packages/api"),
            new Action.Start("api", "local"),
            new Action.Stop("api", "local"),
            new Action.Restart("api", "local", "spec.env changed"),
            new Action.Rollback("api", "local", "1.0.1", "1.0.0"),
            new Action.Undeploy("api", "local", "1.0.0"),
            new Action.ReleaseAddress("api", "local", ip));
    return new Plan(
        List.of(
            new ResourceChange(
                ResourceKey.service("api"),
                ChangeType.UPDATE,
                2,
                List.of(
                    new FieldChange("spec.version", Optional.of("1.0.0"), Optional.of("1.0.1"))),
                Optional.of(ip)),
            new ResourceChange(
                ResourceKey.network("old"), ChangeType.DELETE, 3, List.of(), Optional.empty())),
        4,
        List.of(new Wave(1, actions)),
        List.of(new Problem("specs/x.yaml", 3, 5, "spec.state", "expected running | stopped")));
  }

  /** "valid", or the errors ajv reports for the JSON text. */
  private String ajv(String json) throws IOException, InterruptedException {
    Path node = onPath("node");
    Path script = ROOT.resolve("tools/node/validate-specs.mjs");
    if (!Files.isDirectory(ROOT.resolve("tools/node/node_modules/ajv"))) {
      fail("tools/node/node_modules is missing; run tools/test, which installs them");
    }
    Path file = dir.resolve("plan.json");
    Files.writeString(file, json, StandardCharsets.UTF_8);
    Process p =
        new ProcessBuilder(
                node.toString(), script.toString(), "--schema", "plan.schema.json", file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isLessThanOrEqualTo(1);
    JsonNode result = Json.mapper().readTree(out);
    return result.path("valid").asBoolean() ? "valid" : result.path("errors").toString();
  }

  private static Path onPath(String command) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d.isEmpty() ? "." : d, command);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) {
        return p;
      }
    }
    return fail(command + " is not on PATH (needed for the ajv cross-check); run tools/test");
  }
}
