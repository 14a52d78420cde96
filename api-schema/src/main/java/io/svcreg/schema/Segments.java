package io.svcreg.schema;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A spec file cut into its documents at the lines that are exactly {@code ---}, each with a hash of
 * its text, its first line and what it parsed to, so that re-reading the file after an edit parses
 * only the documents whose text or first line changed (see {@link SpecParser}). Files with other
 * document markers ({@code --- x}, {@code ...}), directives or unusual line breaks are not cut.
 */
final class Segments {

  /**
   * One document's text: its SHA-256 (first 16 bytes), first line, and — when it read without any
   * problem — its declaration (null for a document with nothing in it), the resource as parsed and
   * the packages it resolved; {@code reusable} is false otherwise.
   */
  record Piece(
      long hashHigh,
      long hashLow,
      int line,
      boolean reusable,
      Declaration declaration,
      Resource asParsed,
      List<Packages.Resolved> packages) {

    /** Whether {@code other} has the same text at the same line. */
    boolean sameText(long high, long low, int atLine) {
      return hashHigh == high && hashLow == low && line == atLine;
    }
  }

  final List<Piece> pieces;

  Segments(List<Piece> pieces) {
    this.pieces = List.copyOf(pieces);
  }

  /**
   * Where {@code text} is cut: {@code start, end, firstLine} per document (the {@code ---} lines
   * belong to none), or null when the text is not cut (see the class comment).
   */
  static int[] cut(String text) {
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c == '\u0085' || c == '\u2028' || c == '\u2029' || c == '\uFEFF') {
        return null;
      }
    }
    int[] out = new int[48];
    int count = 0;
    int start = 0;
    int startLine = 1;
    int line = 1;
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      int end = i;
      while (end < n && text.charAt(end) != '\n' && text.charAt(end) != '\r') {
        end++;
      }
      int next = end;
      if (next < n) {
        boolean crlf = text.charAt(next) == '\r' && next + 1 < n && text.charAt(next + 1) == '\n';
        next += crlf ? 2 : 1;
      }
      if (c == '%') {
        return null;
      }
      if ((c == '-' || c == '.') && end - i >= 3 && text.startsWith(c == '-' ? "---" : "...", i)) {
        if (end - i == 3 && c == '-') {
          if (count + 3 > out.length) {
            out = Arrays.copyOf(out, out.length * 2);
          }
          out[count++] = start;
          out[count++] = i;
          out[count++] = startLine;
          start = next;
          startLine = line + 1;
        } else if (end - i == 3 || text.charAt(i + 3) == ' ' || text.charAt(i + 3) == '\t') {
          return null;
        }
      }
      line++;
      i = next;
    }
    if (count + 3 > out.length) {
      out = Arrays.copyOf(out, out.length + 3);
    }
    out[count++] = start;
    out[count++] = n;
    out[count++] = startLine;
    return Arrays.copyOf(out, count);
  }

  /** SHA-256 of {@code text[start, end)} (UTF-8), first 16 bytes as two longs. */
  static long[] hash(MessageDigest sha, String text, int start, int end) {
    byte[] d = sha.digest(text.substring(start, end).getBytes(StandardCharsets.UTF_8));
    long high = 0;
    long low = 0;
    for (int k = 0; k < 8; k++) {
      high = high << 8 | (d[k] & 0xFF);
      low = low << 8 | (d[8 + k] & 0xFF);
    }
    return new long[] {high, low};
  }

  /** A new SHA-256 digest. */
  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new SchemaException("SHA-256 is not available", e);
    }
  }

  /** What one document of a parse read to: its first line, declaration and whether it was clean. */
  record Doc(int line, Declaration declaration, boolean clean, List<Packages.Resolved> packages) {}

  /**
   * The segments of {@code text} whose documents read to {@code docs} (in order), or null when the
   * text is not cut.
   */
  static Segments of(String text, List<Doc> docs) {
    int[] cut = cut(text);
    if (cut == null) {
      return null;
    }
    MessageDigest sha = sha256();
    List<Piece> pieces = new ArrayList<>(cut.length / 3);
    int d = 0;
    for (int k = 0; k < cut.length; k += 3) {
      int nextLine = k + 3 < cut.length ? cut[k + 5] : Integer.MAX_VALUE;
      List<Doc> in = new ArrayList<>(1);
      while (d < docs.size() && docs.get(d).line() < nextLine) {
        in.add(docs.get(d++));
      }
      long[] h = hash(sha, text, cut[k], cut[k + 1]);
      pieces.add(piece(h, cut[k + 2], in));
    }
    return new Segments(pieces);
  }

  /** The piece of one segment with hash {@code h} at {@code line} that read to {@code docs}. */
  static Piece piece(long[] h, int line, List<Doc> docs) {
    if (docs.isEmpty()) {
      return new Piece(h[0], h[1], line, true, null, null, List.of());
    }
    Doc doc = docs.get(0);
    if (docs.size() > 1 || !doc.clean() || doc.declaration() == null) {
      return new Piece(h[0], h[1], line, false, null, null, List.of());
    }
    return new Piece(
        h[0],
        h[1],
        line,
        true,
        doc.declaration(),
        doc.declaration().resource(),
        List.copyOf(doc.packages()));
  }
}
