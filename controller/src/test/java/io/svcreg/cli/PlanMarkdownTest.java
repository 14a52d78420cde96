package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.core.Plan;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlanMarkdownTest {

  @Test
  void render_mixedPlan_headingCountsTheChanges() {
    assertThat(PlanMarkdown.render(Plans.mixed()))
        .startsWith(
            "### svcreg plan: 2 to create, 1 to update, 1 to delete, 4 unchanged, 1 problem\n\n");
  }

  @Test
  void render_mixedPlan_tableHasOneRowPerChangeWithFields() {
    String md = PlanMarkdown.render(Plans.mixed());

    assertThat(md)
        .contains("| | Resource | Generation | Address | Changes |\n|---|---|---|---|---|\n")
        .contains("| + | `Network/lab` | 1 |  |  |\n")
        .contains("| + | `Service/web` | 1 | `127.0.0.2` |  |\n")
        .contains(
            "| ~ | `Service/api` | 3 | `127.0.0.3` | `spec.version`: `1.0.0` \u2192 `1.1.0`<br>"
                + "`spec.env.MODE`: _none_ \u2192 `a\\|b` |\n")
        .contains("| - | `Service/old` | 2 |  |  |\n");
  }

  @Test
  void render_mixedPlan_wavesAreCollapsible() {
    String md = PlanMarkdown.render(Plans.mixed());

    assertThat(md)
        .contains("<details><summary>2 waves, 7 actions</summary>\n\n**Wave 1**\n\n")
        .contains("- `allocate_address web 127.0.0.2 in network lab`\n")
        .contains("**Wave 2**\n\n- `start web on local`\n")
        .contains("</details>\n");
  }

  @Test
  void render_mixedPlan_listsProblemsWithLocation() {
    assertThat(PlanMarkdown.render(Plans.mixed()))
        .contains("- `specs/bad.yaml:7:11`: `spec.endpoints[0].port`: must be 1-65535\n");
  }

  /** The line under the heading of a plan of specs at {@link Plans#REVISION}. */
  private static final String COMMIT_LINE =
      "Spec directory at commit `0123456` (" + Plans.REVISION + ").\n\n";

  private static String renderInGit(Plan plan) {
    return PlanMarkdown.render(plan.withSourceRevision(Optional.of(Plans.REVISION)));
  }

  @Test
  void render_specsInAGitWorkTree_namesTheCommitUnderTheHeading() {
    assertThat(renderInGit(Plans.mixed()))
        .startsWith(
            "### svcreg plan: 2 to create, 1 to update, 1 to delete, 4 unchanged, 1 problem\n\n"
                + COMMIT_LINE
                + "| | Resource |");
  }

  @Test
  void render_noChangesInAGitWorkTree_commitThenNoChanges() {
    assertThat(renderInGit(Plans.noChanges()))
        .isEqualTo(
            "### svcreg plan: no changes\n\n"
                + COMMIT_LINE
                + "No changes. Desired state matches observed state.\n\n");
  }

  @Test
  void render_specsNotInGit_noCommitLine() {
    assertThat(PlanMarkdown.render(Plans.mixed())).doesNotContain("commit");
  }

  @Test
  void render_noChanges_saysSo() {
    assertThat(PlanMarkdown.render(Plans.noChanges()))
        .isEqualTo(
            "### svcreg plan: no changes\n\nNo changes. Desired state matches observed state.\n\n");
  }

  @Test
  void text_markdownSpecials_areEscaped() {
    assertThat(PlanMarkdown.text("a <b> *c* | `d_e`")).isEqualTo("a &lt;b&gt; \\*c\\* \\| `d_e`");
    assertThat(PlanMarkdown.text("one ` tick")).isEqualTo("one \\` tick");
    assertThat(PlanMarkdown.code("x`y")).isEqualTo("``x`y``");
  }
}
