package io.svcreg.deploy.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The last lines of a script's output file: at most 20 lines and 2 KB. */
final class OutputTail {

  /** Most lines kept. */
  static final int MAX_LINES = 20;

  /** Most bytes read. */
  static final int MAX_BYTES = 2048;

  private OutputTail() {}

  /** The tail of what {@code file} holds after byte {@code from}; "" when unreadable. */
  static String of(Path file, long from) {
    try (SeekableByteChannel ch = Files.newByteChannel(file)) {
      long size = ch.size();
      long start = Math.max(Math.max(0, from), size - MAX_BYTES);
      if (start >= size) {
        return "";
      }
      ByteBuffer buf = ByteBuffer.allocate((int) (size - start));
      ch.position(start);
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // read what is there
      }
      String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
      return lastLines(text, start > Math.max(0, from));
    } catch (IOException e) {
      return "";
    }
  }

  /** The last lines of {@code text}; {@code cut} drops a first line read only in part. */
  static String lastLines(String text, boolean cut) {
    List<String> lines = Arrays.asList(text.split("\r?\n", -1));
    int from = cut && lines.size() > 1 ? 1 : 0;
    int to = lines.size();
    while (to > from && lines.get(to - 1).isBlank()) {
      to--;
    }
    from = Math.max(from, to - MAX_LINES);
    return String.join("\n", lines.subList(from, to));
  }
}
