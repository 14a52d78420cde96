package io.svcreg.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checksum list of a package: one {@code <sha256 hex> <path>} line per regular file, sorted by
 * path, as {@code sha256sum} writes it (so {@code sha256sum -c CHECKSUMS.sha256} checks an
 * extracted package too).
 */
final class Checksums {

  private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) [ *](.+)");

  private Checksums() {}

  /** The list's text for these digests (path to hex), sorted by path. */
  static String format(Map<String, String> digests) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, String> e : new TreeMap<>(digests).entrySet()) {
      b.append(e.getValue()).append("  ").append(e.getKey()).append('\n');
    }
    return b.toString();
  }

  /** The parsed list: digests by normalized path, and one line per malformed or repeated line. */
  record Parsed(SortedMap<String, String> digests, List<String> problems) {}

  /** Parses the list's text. */
  static Parsed parse(String text) {
    SortedMap<String, String> digests = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      String path = m.matches() ? normalized(m.group(2)) : null;
      if (path == null) {
        problems.add(
            PackageFormat.CHECKSUMS
                + " line "
                + n
                + " is not `<sha256>  <path>` with a relative path: "
                + abbreviated(line));
      } else if (digests.putIfAbsent(path, m.group(1)) != null) {
        problems.add(PackageFormat.CHECKSUMS + " lists `" + path + "` twice (line " + n + ")");
      }
    }
    return new Parsed(digests, problems);
  }

  /** A listed path without {@code ./} and empty parts, or null when it is not a plain one. */
  private static String normalized(String path) {
    if (path.startsWith("/") || path.indexOf('\\') >= 0 || path.indexOf('\0') >= 0) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    for (String p : path.split("/")) {
      if (p.equals("..")) {
        return null;
      }
      if (!p.isEmpty() && !p.equals(".")) {
        parts.add(p);
      }
    }
    return parts.isEmpty() ? null : String.join("/", parts);
  }

  private static String abbreviated(String line) {
    return line.length() <= 80 ? line : line.substring(0, 77) + "...";
  }

  /**
   * Compares {@code actual} digests (every regular file but the list itself) with the list; one
   * line per missing, extra or mismatched file, in path order.
   */
  static List<String> compare(SortedMap<String, String> listed, Map<String, String> actual) {
    List<String> problems = new ArrayList<>();
    SortedMap<String, String> all = new TreeMap<>(actual);
    listed.keySet().forEach(k -> all.putIfAbsent(k, null));
    for (String path : all.keySet()) {
      String want = listed.get(path);
      String have = actual.get(path);
      if (want == null) {
        problems.add("`" + path + "` is not in " + PackageFormat.CHECKSUMS + " (an extra file)");
      } else if (have == null) {
        problems.add(
            "`"
                + path
                + "` is listed in "
                + PackageFormat.CHECKSUMS
                + " but missing from the package");
      } else if (!want.equals(have)) {
        problems.add(
            "`"
                + path
                + "` does not match its checksum (expected sha256 "
                + want
                + ", found "
                + have
                + ")");
      }
    }
    return problems;
  }

  /** The SHA-256 of everything {@code in} yields, as lower-case hex. */
  static String sha256(InputStream in) throws IOException {
    MessageDigest d = digest();
    new DigestInputStream(in, d).transferTo(OutputStream.nullOutputStream()); // in stays open
    return HexFormat.of().formatHex(d.digest());
  }

  /** A new SHA-256 digest. */
  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
