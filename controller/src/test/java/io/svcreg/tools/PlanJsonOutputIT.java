package io.svcreg.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.schema.Json;
import io.svcreg.source.Git;
import io.svcreg.source.SpecFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code tools/svcreg plan -o json} prints conforms to {@code plan.schema.json}, checked with
 * ajv ({@code tools/node/validate-specs.mjs}, installed by {@code tools/test}).
 */
class PlanJsonOutputIT {

  private static final Path ROOT = Proc.projectRoot();

  @TempDir Path tmp;

  @Test
  void planJson_quickStart_conformsToThePlanSchema() throws IOException {
    Proc plan =
        Proc.run(
            ROOT,
            Map.of(),
            300,
            List.of("tools/svcreg", "plan", "--specs", "examples", "-o", "json"));
    assertThat(plan.exitCode()).as(plan.stderr()).isEqualTo(1);

    assertThat(ajv(plan.stdout())).isEqualTo("valid");
  }

  @Test
  void planJson_withProblems_conformsToThePlanSchema() throws IOException {
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    Files.writeString(
        specs.resolve("net.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: lab}
        spec: {type: local, subnet: 127.0.0.0/24}
        ---
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: broken}
        spec: {type: local, subnet: 127.0.0.0/99}
        """);
    Proc plan =
        Proc.run(
            tmp,
            Map.of(),
            300,
            List.of(ROOT.resolve("tools/svcreg").toString(), "plan", "--specs=specs", "-o=json"));
    assertThat(plan.exitCode()).as(plan.stderr()).isEqualTo(2);
    JsonNode json = Json.mapper().readTree(plan.stdout());
    assertThat(json.get("problems")).isNotEmpty();
    assertThat(json.has("sourceRevision")).as("not in a Git work tree").isFalse();

    assertThat(ajv(plan.stdout())).isEqualTo("valid");
  }

  @Test
  void planJson_specsInAGitWorkTree_carriesItsCommitAndConforms() throws IOException {
    Path specs = Files.createDirectories(tmp.resolve("repo/specs"));
    Files.writeString(specs.resolve("net.yaml"), SpecFixtures.network("lab"));
    String head = Git.init(tmp.resolve("repo")).commitAll("specs");

    Proc plan =
        Proc.run(
            tmp,
            Map.of(),
            300,
            List.of(
                ROOT.resolve("tools/svcreg").toString(),
                "plan",
                "--specs",
                specs.toString(),
                "-o",
                "json"));

    assertThat(plan.exitCode()).as(plan.stderr()).isEqualTo(1);
    assertThat(Json.mapper().readTree(plan.stdout()).path("sourceRevision").asText())
        .isEqualTo(head);
    assertThat(ajv(plan.stdout())).isEqualTo("valid");
  }

  /** "valid", or the errors ajv reports for the JSON text. */
  private String ajv(String json) throws IOException {
    assertThat(ROOT.resolve("tools/node/node_modules/ajv"))
        .as("tools/node/node_modules is missing; run tools/test, which installs it")
        .isDirectory();
    Path file = Files.writeString(tmp.resolve("plan.json"), json);
    Proc p =
        Proc.run(
            ROOT,
            Map.of(),
            60,
            List.of(
                "node",
                "tools/node/validate-specs.mjs",
                "--schema",
                "plan.schema.json",
                file.toString()));
    assertThat(p.exitCode()).as(p.stdout() + p.stderr()).isLessThanOrEqualTo(1);
    JsonNode result = Json.mapper().readTree(p.stdout());
    return result.path("valid").asBoolean() ? "valid" : result.path("errors").toString();
  }
}
