package io.svcreg.cli;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;

/** The formats {@code plan -o} writes. */
enum OutputFormat {
  TEXT,
  JSON,
  MARKDOWN;

  /** The name on the command line. */
  String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Converts {@code -o} values; an unknown one is a usage error naming the allowed values. */
  static final class Converter implements CommandLine.ITypeConverter<OutputFormat> {
    @Override
    public OutputFormat convert(String value) {
      for (OutputFormat f : values()) {
        if (f.cliName().equals(value)) {
          return f;
        }
      }
      throw new CommandLine.TypeConversionException(
          "unknown output format '" + value + "'; expected text, json or markdown");
    }
  }

  /** The values offered in help and completion. */
  static final class Names implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return List.of("text", "json", "markdown").iterator();
    }
  }
}
