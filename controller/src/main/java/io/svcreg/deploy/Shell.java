package io.svcreg.deploy;

import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Builds POSIX shell command lines: for the scripts run on a remote node, and for the check of a
 * package's requirements ({@link Requirements#script}), which runs on any host.
 */
public final class Shell {

  private Shell() {}

  /** {@code s} as one single-quoted shell word. */
  public static String quote(String s) {
    return "'" + s.replace("'", "'\"'\"'") + "'";
  }

  /** The words, quoted and separated by spaces. */
  public static String words(Collection<String> words) {
    return words.stream().map(Shell::quote).collect(Collectors.joining(" "));
  }

  /** {@code env -i NAME=value ...}: runs the rest of the line with exactly {@code env}. */
  public static String env(Map<String, String> env) {
    StringBuilder b = new StringBuilder("env -i");
    env.forEach((k, v) -> b.append(' ').append(quote(k + "=" + v)));
    return b.toString();
  }

  /**
   * A duration in seconds with millisecond precision, as {@code sleep} and {@code timeout} take.
   */
  public static String seconds(java.time.Duration d) {
    long ms = Math.max(0, d.toMillis());
    return String.format(java.util.Locale.ROOT, "%d.%03d", ms / 1000, ms % 1000);
  }
}
