package io.svcreg.cli;

import io.svcreg.core.Action;
import io.svcreg.core.FieldChange;
import io.svcreg.core.Plan;
import io.svcreg.core.ResourceChange;
import io.svcreg.core.Wave;
import io.svcreg.schema.Problem;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The plan as GitHub-flavoured Markdown for a pull-request comment: a heading with the counts, the
 * Git commit of the specs, a table of resource changes, the waves in a collapsible block, and the
 * problems.
 */
final class PlanMarkdown {

  /** Hex digits of a commit's short form, as {@code git log --oneline} and GitHub show it. */
  static final int SHORT_HASH = 7;

  private PlanMarkdown() {}

  /** The whole comment. */
  static String render(Plan plan) {
    PlanSummary s = PlanSummary.of(plan);
    StringBuilder b = new StringBuilder();
    b.append("### svcreg plan: ");
    if (s.noChanges()) {
      b.append("no changes");
    } else {
      b.append(
          "%d to create, %d to update, %d to delete, %d unchanged"
              .formatted(s.create(), s.update(), s.delete(), s.unchanged()));
    }
    if (s.problems() > 0) {
      b.append(", ").append(PlanSummary.plural(s.problems(), "problem"));
    }
    b.append("\n\n");
    plan.sourceRevision().ifPresent(r -> b.append(commit(r)).append("\n\n"));
    if (s.noChanges()) {
      b.append(s.line()).append("\n\n");
    }
    if (!plan.changes().isEmpty()) {
      b.append("| | Resource | Generation | Address | Changes |\n");
      b.append("|---|---|---|---|---|\n");
      for (ResourceChange c : plan.changes()) {
        b.append("| ")
            .append(c.change().symbol())
            .append(" | `")
            .append(c.key())
            .append("` | ")
            .append(c.generation())
            .append(" | ")
            .append(c.address().map(a -> "`" + a + "`").orElse(""))
            .append(" | ")
            .append(
                c.fields().stream().map(PlanMarkdown::field).collect(Collectors.joining("<br>")))
            .append(" |\n");
      }
      b.append('\n');
    }
    if (!plan.waves().isEmpty()) {
      b.append("<details><summary>")
          .append(PlanSummary.plural(plan.waves().size(), "wave"))
          .append(", ")
          .append(PlanSummary.plural(s.actions(), "action"))
          .append("</summary>\n\n");
      for (Wave w : plan.waves()) {
        b.append("**Wave ").append(w.number()).append("**\n\n");
        for (Action a : w.actions()) {
          b.append("- ").append(code(ActionText.describe(a))).append('\n');
        }
        b.append('\n');
      }
      b.append("</details>\n\n");
    }
    if (!plan.problems().isEmpty()) {
      b.append("**Problems** (the resources concerned are left out of the plan):\n\n");
      for (Problem p : plan.problems()) {
        b.append("- ").append(code(p.location().toString())).append(": ");
        if (!p.path().isEmpty()) {
          b.append(code(p.path())).append(": ");
        }
        b.append(text(p.message())).append('\n');
      }
      b.append('\n');
    }
    return b.toString();
  }

  /**
   * {@code Spec directory at commit `1a2b3c4` (1a2b3c4…, the full hash).}: the full hash outside
   * code, where GitHub links it to the commit.
   */
  static String commit(String revision) {
    return "Spec directory at commit "
        + code(revision.substring(0, Math.min(SHORT_HASH, revision.length())))
        + " ("
        + revision
        + ").";
  }

  private static String field(FieldChange f) {
    return code(f.path()) + ": " + value(f.oldValue()) + " \u2192 " + value(f.newValue());
  }

  private static String value(Optional<String> v) {
    return v.map(PlanMarkdown::code).orElse("_none_");
  }

  /** Inline code that survives a table cell: pipes escaped, backticks fenced by longer runs. */
  static String code(String s) {
    String t = s.replace("|", "\\|").replace("\n", " ");
    String fence = t.contains("`") ? "``" : "`";
    String pad = t.startsWith("`") || t.endsWith("`") ? " " : "";
    return fence + pad + t + pad + fence;
  }

  /**
   * A message as Markdown: its {@code `code`} spans kept, Markdown and HTML specials escaped
   * elsewhere.
   */
  static String text(String s) {
    String line = s.replace("\n", " ");
    String[] parts = line.split("`", -1);
    boolean balanced = parts.length % 2 == 1;
    StringBuilder b = new StringBuilder(line.length() + 16);
    for (int i = 0; i < parts.length; i++) {
      boolean code = balanced && i % 2 == 1;
      if (i > 0) {
        b.append(balanced ? "`" : "\\`");
      }
      b.append(code ? parts[i].replace("|", "\\|") : escape(parts[i]));
    }
    return b.toString();
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '\\', '*', '_', '[', ']', '|', '#' -> b.append('\\').append(c);
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
