package io.svcreg.source;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits YAML text into its documents at {@code ---} lines (a document marker at column 0 always
 * starts a new document in YAML, even inside a block scalar). Comment-only parts are kept with the
 * document that follows them (or, at the end, the one before).
 */
final class Documents {

  private Documents() {}

  /**
   * A document's text, from its first line (1-based) in the whole text; {@code contentLine} is its
   * first line with content.
   */
  record Chunk(int firstLine, int contentLine, String text) {}

  /** The documents of {@code text}, each with at least one line of content. */
  static List<Chunk> split(String text) {
    String[] lines = text.split("\n", -1);
    List<int[]> ranges = new ArrayList<>();
    int start = 0;
    for (int i = 1; i < lines.length; i++) {
      if (isMarker(lines[i])) {
        ranges.add(new int[] {start, i});
        start = i;
      }
    }
    ranges.add(new int[] {start, lines.length});
    List<int[]> merged = new ArrayList<>();
    int pendingStart = -1;
    for (int[] r : ranges) {
      int from = pendingStart >= 0 ? pendingStart : r[0];
      if (contentLine(lines, r[0], r[1]) < 0) {
        pendingStart = from;
        continue;
      }
      merged.add(new int[] {from, r[1]});
      pendingStart = -1;
    }
    if (pendingStart >= 0 && !merged.isEmpty()) {
      merged.get(merged.size() - 1)[1] = lines.length;
    }
    List<Chunk> out = new ArrayList<>();
    for (int[] r : merged) {
      StringBuilder b = new StringBuilder();
      for (int i = r[0]; i < r[1]; i++) {
        b.append(lines[i]);
        if (i + 1 < lines.length) {
          b.append('\n');
        }
      }
      out.add(new Chunk(r[0] + 1, contentLine(lines, r[0], r[1]) + 1, b.toString()));
    }
    return out;
  }

  private static boolean isMarker(String line) {
    String l = stripCr(line);
    return l.equals("---") || l.startsWith("--- ") || l.startsWith("---\t");
  }

  /** The index of the first line in [from, to) with content, or -1. */
  private static int contentLine(String[] lines, int from, int to) {
    for (int i = from; i < to; i++) {
      String l = stripCr(lines[i]);
      if (isMarker(l)) {
        l = l.substring(3);
      }
      l = l.strip();
      if (!l.isEmpty() && !l.startsWith("#") && !l.equals("...")) {
        return i;
      }
    }
    return -1;
  }

  private static String stripCr(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }
}
