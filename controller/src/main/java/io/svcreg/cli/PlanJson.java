package io.svcreg.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.svcreg.core.Plan;
import io.svcreg.schema.Json;
import java.io.UncheckedIOException;

/** The plan as pretty-printed JSON, in the project's wire format (see plan.schema.json). */
final class PlanJson {

  /** Two-space indent, {@code "key": value}, one array element per line (as jq prints). */
  private static final ObjectWriter WRITER =
      Json.mapper()
          .writer(
              new DefaultPrettyPrinter(
                      Separators.createDefaultInstance()
                          .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                          .withObjectEmptySeparator("")
                          .withArrayEmptySeparator(""))
                  .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE));

  private PlanJson() {}

  /** The plan as JSON text, with a trailing newline. */
  static String render(Plan plan) {
    try {
      return WRITER.writeValueAsString(plan) + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot write the plan as JSON", e);
    }
  }
}
