package io.svcreg.schema;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads the desired state from spec files and directories (the spec files of a directory are those
 * of {@link SpecFiles}). File names in problems are as the user typed them, relative to the working
 * directory when possible.
 */
public final class SpecLoader {

  private SpecLoader() {}

  /** Reads, parses and validates every spec file under {@code paths}. */
  public static SpecSet load(List<Path> paths) {
    return SpecValidator.validate(parseAll(paths, ParseContext.ofWorkingDirectory()).values());
  }

  /**
   * Parses every spec file under {@code paths}, keyed and ordered by display name; a missing path
   * becomes an unreadable entry (so the result is incomplete and nothing gets pruned).
   */
  static Map<String, ParsedFile> parseAll(List<Path> paths, ParseContext ctx) {
    Map<String, Path> files = new LinkedHashMap<>();
    Map<String, ParsedFile> broken = new LinkedHashMap<>();
    for (Path p : paths) {
      String shown = ctx.display.of(p);
      if (Files.isDirectory(p)) {
        try {
          for (Path f : SpecFiles.walk(p)) {
            files.putIfAbsent(ctx.display.of(f), f);
          }
        } catch (IOException e) {
          broken.put(shown, ParsedFile.unreadable(shown, "cannot list directory: " + e));
        }
      } else if (Files.exists(p)) {
        files.putIfAbsent(shown, p);
      } else {
        broken.put(shown, ParsedFile.unreadable(shown, "no such file or directory"));
      }
    }
    List<String> names = new ArrayList<>(files.keySet());
    names.addAll(broken.keySet());
    names.sort(null);
    List<String> toRead = new ArrayList<>(files.size());
    List<Path> readPaths = new ArrayList<>(files.size());
    for (String name : names) {
      if (!broken.containsKey(name)) {
        toRead.add(name);
        readPaths.add(files.get(name));
      }
    }
    Map<String, ParsedFile> read = new HashMap<>();
    List<ParsedFile> parsed = SpecParser.readAll(toRead, readPaths, ctx);
    for (int i = 0; i < toRead.size(); i++) {
      read.put(toRead.get(i), parsed.get(i));
    }
    Map<String, ParsedFile> out = new LinkedHashMap<>();
    for (String name : names) {
      ParsedFile pf = broken.get(name);
      out.put(name, pf != null ? pf : read.get(name));
    }
    return out;
  }
}
