package io.svcreg.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/** Forcing files and directories to disk. */
final class Fsync {

  private Fsync() {}

  /** Forces a file's content and metadata to disk. */
  static void file(Path file) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
      c.force(true);
    }
  }

  /** Forces a directory's entries (created, renamed, deleted files) to disk. */
  static void directory(Path dir) throws IOException {
    try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
      c.force(true);
    }
  }

  /** Forces a directory and every directory below it. */
  static void directories(Path root) throws IOException {
    List<Path> dirs;
    try (Stream<Path> s = Files.walk(root)) {
      dirs = s.filter(Files::isDirectory).toList();
    }
    for (Path d : dirs) {
      directory(d);
    }
  }
}
