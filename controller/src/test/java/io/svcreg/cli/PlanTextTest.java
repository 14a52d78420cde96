package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.core.Action;
import io.svcreg.core.Plan;
import io.svcreg.schema.Ipv4;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlanTextTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private void render(Plan plan, boolean color) {
    PlanText.render(plan, new Output(new PrintWriter(out), new PrintWriter(err), color));
  }

  @Test
  void render_mixedPlan_listsChangesWithSymbolsGenerationsAndAddresses() {
    render(Plans.mixed(), false);

    assertThat(out.toString())
        .contains("  + Network/lab  generation 1\n")
        .contains("  + Service/web  generation 1, address 127.0.0.2\n")
        .contains("  ~ Service/api  generation 3, address 127.0.0.3\n")
        .contains("      spec.version: 1.0.0 \u2192 1.1.0\n")
        .contains("      spec.env.MODE: (none) \u2192 a|b\n")
        .contains("  - Service/old  generation 2\n")
        .contains("  4 unchanged\n");
  }

  @Test
  void render_mixedPlan_listsWavesOneActionPerLine() {
    render(Plans.mixed(), false);

    assertThat(out.toString())
        .contains(
            """
              Wave 1:
                allocate_address web 127.0.0.2 in network lab
                deploy web 1.0.0 on local
                stop old on local
              Wave 2:
                start web on local
                restart api on local (new version 1.1.0)
                undeploy old 0.9.0 from local
                release_address old 127.0.0.9 in network lab
            """);
  }

  @Test
  void render_mixedPlan_endsWithSummaryAndProblemsGoToStderr() {
    render(Plans.mixed(), false);

    assertThat(out.toString())
        .endsWith(
            """
            Plan: 2 to create, 1 to update, 1 to delete, 4 unchanged.
            1 problem: the resources concerned are left out of the plan and keep their last good spec.
            """);
    assertThat(out.toString()).doesNotContain("specs/bad.yaml");
    assertThat(err.toString())
        .isEqualTo("specs/bad.yaml:7:11: spec.endpoints[0].port: must be 1-65535\n");
  }

  @Test
  void render_noChanges_saysSoInOneLine() {
    render(Plans.noChanges(), false);

    assertThat(out.toString()).isEqualTo("No changes. Desired state matches observed state.\n");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void render_specsInAGitWorkTree_firstLineNamesTheCommit() {
    render(Plans.noChanges().withSourceRevision(Optional.of(Plans.REVISION)), false);

    assertThat(out.toString())
        .isEqualTo(
            "Spec directory at Git commit "
                + Plans.REVISION
                + "\n\nNo changes. Desired state matches observed state.\n");
  }

  @Test
  void render_specsNotInGit_noCommitLine() {
    render(Plans.mixed(), false);

    assertThat(out.toString()).doesNotContain("commit").startsWith("svcreg will perform");
  }

  @Test
  void render_withoutColor_hasNoEscapeCodes() {
    render(Plans.mixed(), false);

    assertThat(out.toString()).doesNotContain("\u001b[");
  }

  @Test
  void render_withColor_colorsSymbolsBySign() {
    render(Plans.mixed(), true);

    assertThat(out.toString())
        .contains("\u001b[32m+\u001b[0m")
        .contains("\u001b[33m~\u001b[0m")
        .contains("\u001b[31m-\u001b[0m");
  }

  @Test
  void describe_rollback_showsBothVersions() {
    assertThat(ActionText.describe(new Action.Rollback("api", "n1", "1.1.0", "1.0.0")))
        .isEqualTo("rollback api 1.1.0 \u2192 1.0.0 on n1");
    assertThat(ActionText.describe(new Action.AllocateAddress("a", "lan", Ipv4.of("10.0.0.5"))))
        .isEqualTo("allocate_address a 10.0.0.5 in network lan");
  }
}
