package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Json;
import io.svcreg.source.Git;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plan --specs DIR} names the Git commit of DIR's work tree in every output format. */
class PlanRevisionIT {

  @TempDir Path tmp;
  private SpecDir dir;
  private Git git;

  /**
   * The specs of {@link SpecDir} in {@code tmp/specs}, committed in a repository at {@code tmp}.
   */
  private String committedSpecs() {
    dir = SpecDir.write(tmp);
    git = Git.init(tmp);
    return git.commitAll("specs");
  }

  private CliRun plan(Path specs, String format) {
    return CliRun.of("plan", "--specs", specs.toString(), "-o", format);
  }

  @Test
  void plan_specsInAGitWorkTree_jsonCarriesTheCommit() throws Exception {
    String head = committedSpecs();

    CliRun run = plan(tmp.resolve("specs"), "json");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.CHANGES);
    assertThat(Json.mapper().readTree(run.out()).path("sourceRevision").asText()).isEqualTo(head);
  }

  @Test
  void plan_specsInAGitWorkTree_markdownNamesTheCommitUnderTheHeading() {
    String head = committedSpecs();

    CliRun run = plan(tmp.resolve("specs"), "markdown");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.CHANGES);
    assertThat(run.out().lines().toList())
        .element(2)
        .isEqualTo("Spec directory at commit `" + head.substring(0, 7) + "` (" + head + ").");
  }

  @Test
  void plan_specsInAGitWorkTree_textStartsWithTheCommit() {
    String head = committedSpecs();

    CliRun run = plan(tmp.resolve("specs"), "text");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.CHANGES);
    assertThat(run.out())
        .startsWith("Spec directory at Git commit " + head + "\n\nsvcreg will perform");
  }

  @Test
  void plan_oneSpecFileAfterANewCommit_thatCommit() throws Exception {
    committedSpecs();
    dir.edit("services.yaml", "MODE: blue", "MODE: green");
    String second = git.commitAll("green");

    CliRun run = plan(tmp.resolve("specs/network.yaml"), "json");

    assertThat(Json.mapper().readTree(run.out()).path("sourceRevision").asText()).isEqualTo(second);
  }

  @Test
  void plan_specsNotInGit_noFieldAndNoLine() throws Exception {
    Path specs = SpecDir.write(tmp).specs();

    assertThat(Json.mapper().readTree(plan(specs, "json").out()).has("sourceRevision")).isFalse();
    assertThat(plan(specs, "markdown").out()).doesNotContain("commit");
    assertThat(plan(specs, "text").out()).doesNotContain("commit");
  }
}
