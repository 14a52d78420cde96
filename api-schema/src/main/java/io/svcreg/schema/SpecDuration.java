package io.svcreg.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A duration as written in specs: one or more {@code <number><unit>} parts with units {@code ms},
 * {@code s}, {@code m}, {@code h} (e.g. {@code 500ms}, {@code 30s}, {@code 1m30s}). Written back in
 * the shortest normal form, so {@code 60s} and {@code 1m} are the same value.
 */
public record SpecDuration(long millis) implements Comparable<SpecDuration> {

  /** The pattern a duration string must match (also used by the JSON Schemas). */
  public static final String PATTERN = "^([0-9]+(ms|s|m|h))+$";

  private static final Pattern WHOLE = Pattern.compile(PATTERN);
  private static final Pattern PART = Pattern.compile("([0-9]+)(ms|s|m|h)");
  private static final long MAX_MILLIS = Duration.ofDays(365).toMillis();

  public SpecDuration {
    if (millis < 0) {
      throw new IllegalArgumentException("negative duration");
    }
  }

  /** A duration of whole seconds. */
  public static SpecDuration ofSeconds(long seconds) {
    return new SpecDuration(seconds * 1000);
  }

  /** Parses duration text, or empty if it is not one (or longer than a year). */
  public static Optional<SpecDuration> parse(String text) {
    if (text == null || !WHOLE.matcher(text).matches()) {
      return Optional.empty();
    }
    long total = 0;
    Matcher m = PART.matcher(text);
    while (m.find()) {
      String digits = m.group(1);
      if (digits.length() > 12) {
        return Optional.empty();
      }
      long n = Long.parseLong(digits);
      long unit =
          switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1000;
            case "m" -> 60_000;
            default -> 3_600_000;
          };
      total += n * unit;
      if (total > MAX_MILLIS) {
        return Optional.empty();
      }
    }
    return Optional.of(new SpecDuration(total));
  }

  @JsonCreator
  static SpecDuration fromJson(String text) {
    return parse(text).orElseThrow(() -> new IllegalArgumentException("not a duration: " + text));
  }

  /** As a {@link Duration}. */
  public Duration toDuration() {
    return Duration.ofMillis(millis);
  }

  @Override
  public int compareTo(SpecDuration o) {
    return Long.compare(millis, o.millis);
  }

  @JsonValue
  @Override
  public String toString() {
    if (millis == 0) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    long rest = millis;
    long h = rest / 3_600_000;
    rest %= 3_600_000;
    long m = rest / 60_000;
    rest %= 60_000;
    long s = rest / 1000;
    long ms = rest % 1000;
    if (h > 0) {
      b.append(h).append('h');
    }
    if (m > 0) {
      b.append(m).append('m');
    }
    if (s > 0) {
      b.append(s).append('s');
    }
    if (ms > 0) {
      b.append(ms).append("ms");
    }
    return b.toString();
  }
}
