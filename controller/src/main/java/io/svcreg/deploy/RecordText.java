package io.svcreg.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The text of the files svcreg writes on a node ({@link InstallMarker}, {@link RunRecord}): a
 * comment line, then one {@code key=value} line a key, sorted, values with backslashes and line
 * breaks escaped; read as Java properties, so a shell can write it with {@code printf}.
 */
final class RecordText {

  private RecordText() {}

  /** The file's text for {@code values}, in key order. */
  static String text(Map<String, String> values) {
    StringBuilder text = new StringBuilder("# written by svcreg; do not edit\n");
    values.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> text.append(e.getKey()).append('=').append(escape(e.getValue())).append('\n'));
    return text.toString();
  }

  /** The values of {@code text}, or empty when it cannot be read. */
  static Optional<Properties> parse(String text) {
    return parse(new StringReader(text));
  }

  /** The values of the file {@code file}, or empty when it is missing or cannot be read. */
  static Optional<Properties> read(Path file) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parse(r);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<Properties> parse(Reader r) {
    Properties p = new Properties();
    try {
      p.load(r);
      return Optional.of(p);
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String escape(String value) {
    StringBuilder b = new StringBuilder();
    for (char c : value.toCharArray()) {
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
