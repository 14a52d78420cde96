package io.svcreg.cli;

import io.svcreg.core.Action;
import io.svcreg.core.FieldChange;
import io.svcreg.core.Plan;
import io.svcreg.core.ResourceChange;
import io.svcreg.core.Wave;
import io.svcreg.schema.Problem;
import java.io.PrintWriter;
import java.util.Optional;

/**
 * The plan for a terminal, like {@code terraform plan}: the resource changes, the waves of actions,
 * the problems (on stderr, in their place) and a summary line.
 */
final class PlanText {

  /** What an absent field value is shown as. */
  static final String NONE = "(none)";

  private PlanText() {}

  /** Writes the plan to {@code out}, its problems to {@code err}, one line each. */
  static void render(Plan plan, Output output) {
    PrintWriter out = output.out();
    Style style = new Style(output.color());
    PlanSummary summary = PlanSummary.of(plan);
    plan.sourceRevision()
        .ifPresent(
            r -> {
              out.println(style.dim("Spec directory at Git commit " + r));
              out.println();
            });
    if (!plan.changes().isEmpty()) {
      out.println("svcreg will perform the following actions:");
      out.println();
      int width =
          plan.changes().stream().mapToInt(c -> c.key().toString().length()).max().orElse(0);
      for (ResourceChange c : plan.changes()) {
        out.println(resourceLine(c, width, style));
        for (FieldChange f : c.fields()) {
          out.println("      " + fieldLine(f));
        }
      }
      out.println();
    }
    if (plan.unchanged() > 0 && !summary.noChanges()) {
      out.println("  " + plan.unchanged() + " unchanged");
      out.println();
    }
    if (!plan.waves().isEmpty()) {
      out.println(style.bold("Waves") + style.dim(" (services in one wave proceed in parallel):"));
      for (Wave w : plan.waves()) {
        out.println("  Wave " + w.number() + ":");
        for (Action a : w.actions()) {
          out.println("    " + ActionText.describe(a));
        }
      }
      out.println();
    }
    if (!plan.problems().isEmpty()) {
      output.flush();
      for (Problem p : plan.problems()) {
        output.err().println(p);
      }
      output.flush();
      out.println();
    }
    out.println(style.bold(summary.line()));
    if (!summary.problemsLine().isEmpty()) {
      out.println(summary.problemsLine());
    }
  }

  /** {@code + Service/web generation 1, address 127.0.0.2}. */
  static String resourceLine(ResourceChange c, int width, Style style) {
    StringBuilder b = new StringBuilder("  ");
    b.append(style.change(c.change(), c.change().symbol())).append(' ');
    b.append(style.change(c.change(), pad(c.key().toString(), width)));
    b.append("  generation ").append(c.generation());
    c.address().ifPresent(a -> b.append(", address ").append(a));
    return b.toString();
  }

  /** {@code spec.version: 1.0.0 → 1.1.0}. */
  static String fieldLine(FieldChange f) {
    return f.path() + ": " + value(f.oldValue()) + " \u2192 " + value(f.newValue());
  }

  private static String value(Optional<String> v) {
    return v.orElse(NONE);
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
