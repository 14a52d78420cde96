package io.svcreg.source;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.deploy.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Packages sent along with applied text ({@code apply} through the API): each is {@code {ref,
 * entries}}, {@code ref} the {@code spec.package} exactly as the specs write it, and {@code
 * entries} the package as a JSON message can carry it: its root (path {@code ""}) and everything
 * below it, parents first, each with {@code path}, {@code type} ({@code dir}, {@code file} or
 * {@code link}), {@code mode}, and {@code data} (a file's bytes, base64) or {@code target} (a
 * link's). A {@code .tar.gz} package is a root of type {@code file}. The controller writes them
 * into a staging directory and hands them to {@link SpecWriter#apply(String, String, Map, Path)}.
 */
public final class PackageUploads {

  private PackageUploads() {}

  /** The entries of the package (directory or archive) at {@code pkg}; links are not followed. */
  public static ArrayNode entries(Path pkg) throws IOException {
    Path root = pkg.toRealPath();
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(root)) {
      paths = walk.sorted().toList();
    }
    for (Path p : paths) {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
      ObjectNode e = out.addObject();
      e.put("path", root.relativize(p).toString());
      if (a.isSymbolicLink()) {
        e.put("type", "link");
        e.put("target", Files.readSymbolicLink(p).toString());
        continue;
      }
      e.put("type", a.isDirectory() ? "dir" : "file");
      e.put("mode", (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW_LINKS) & 07777);
      if (!a.isDirectory()) {
        e.put("data", Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
      }
    }
    return out;
  }

  /** Uploaded packages written out (close to remove them), or why they cannot be. */
  public sealed interface Staged extends AutoCloseable {

    @Override
    void close() throws IOException;

    /** The packages by {@code ref}, each where it was written below {@code dir} (or none). */
    record Ok(Map<String, Path> packages, Path dir) implements Staged {
      @Override
      public void close() throws IOException {
        if (dir != null) {
          Trees.delete(dir);
        }
      }
    }

    /** What is wrong with the upload (for a {@code bad_request}); nothing is left staged. */
    record Refused(String message) implements Staged {
      @Override
      public void close() {}
    }
  }

  /**
   * Writes the packages of an apply request ({@code params.packages}, an array; null: none) into a
   * new temporary directory.
   */
  public static Staged stage(JsonNode packages) throws IOException {
    if (packages == null || packages.isNull()) {
      return new Staged.Ok(Map.of(), null);
    }
    if (!packages.isArray()) {
      return new Staged.Refused("params.packages must be an array of {ref, entries}");
    }
    if (packages.isEmpty()) {
      return new Staged.Ok(Map.of(), null);
    }
    Path staging = Files.createTempDirectory("svcreg-apply-");
    Map<String, Path> out = new LinkedHashMap<>();
    boolean kept = false;
    try {
      for (int i = 0; i < packages.size(); i++) {
        String at = "params.packages[" + i + "]";
        JsonNode pkg = packages.get(i);
        String ref = pkg.path("ref").asText("");
        Path name = fileName(ref);
        if (name == null || out.containsKey(ref)) {
          return new Staged.Refused(
              at
                  + ".ref must be a spec.package as written (a relative path), given once: `"
                  + ref
                  + "`");
        }
        Path root =
            Files.createDirectory(staging.resolve(String.valueOf(i))).resolve(name.toString());
        String wrong = write(pkg.path("entries"), root);
        if (wrong != null) {
          return new Staged.Refused(at + ".entries" + wrong);
        }
        out.put(ref, root);
      }
      kept = true;
      return new Staged.Ok(out, staging);
    } finally {
      if (!kept) {
        Trees.delete(staging);
      }
    }
  }

  /** Writes the entries of one package at {@code root}; what is wrong, or null. */
  private static String write(JsonNode entries, Path root) throws IOException {
    if (!entries.isArray()
        || entries.isEmpty()
        || !entries.get(0).path("path").asText("x").isEmpty()) {
      return " must be an array whose first entry is the package itself (path \"\")";
    }
    List<Path> dirs = new ArrayList<>();
    List<Integer> modes = new ArrayList<>();
    for (int k = 0; k < entries.size(); k++) {
      JsonNode e = entries.get(k);
      String where = "[" + k + "]";
      Path rel = relative(e.path("path").asText(""));
      if (rel == null || (k > 0 && rel.toString().isEmpty())) {
        return where + ".path must be a relative path inside the package";
      }
      Path p = root.resolve(rel.toString());
      if (k > 0 && !Files.isDirectory(p.getParent(), NOFOLLOW_LINKS)) {
        return where + ": its directory must come before it";
      }
      if (Files.exists(p, NOFOLLOW_LINKS)) {
        return where + ": `" + rel + "` is given twice";
      }
      String type = e.path("type").asText("");
      int mode = e.path("mode").asInt(-1);
      if (!type.equals("link") && (mode < 0 || mode > 07777)) {
        return where + ".mode must be a file mode (0 to 07777)";
      }
      switch (type) {
        case "dir" -> {
          Files.createDirectory(p);
          dirs.add(p);
          modes.add(mode);
        }
        case "file" -> {
          byte[] data;
          try {
            data = Base64.getDecoder().decode(e.path("data").asText(""));
          } catch (IllegalArgumentException ex) {
            return where + ".data must be base64";
          }
          Files.write(p, data);
          Files.setAttribute(p, "unix:mode", mode);
        }
        case "link" -> {
          String target = e.path("target").asText("");
          if (k == 0 || !inside(root, p.getParent(), target)) {
            return where + ".target must stay inside the package: `" + target + "`";
          }
          Files.createSymbolicLink(p, Path.of(target));
        }
        default -> {
          return where + ".type must be dir, file or link";
        }
      }
    }
    for (int k = dirs.size() - 1; k >= 0; k--) {
      Files.setAttribute(dirs.get(k), "unix:mode", modes.get(k)); // last: it may be read-only
    }
    return null;
  }

  /** Whether the link target {@code target}, seen from {@code dir}, lies inside {@code root}. */
  private static boolean inside(Path root, Path dir, String target) {
    try {
      Path t = Path.of(target);
      return !target.isEmpty() && !t.isAbsolute() && dir.resolve(t).normalize().startsWith(root);
    } catch (InvalidPathException e) {
      return false;
    }
  }

  /** The last name of the relative path {@code ref}, or null when it is none. */
  private static Path fileName(String ref) {
    try {
      Path p = Path.of(ref).normalize();
      return p.isAbsolute() || p.getFileName() == null || p.endsWith("..") ? null : p.getFileName();
    } catch (InvalidPathException e) {
      return null;
    }
  }

  /** {@code s} as a normalized relative path that does not climb out, or null. */
  private static Path relative(String s) {
    try {
      Path p = Path.of(s).normalize();
      return p.isAbsolute() || p.startsWith("..") ? null : p;
    } catch (InvalidPathException e) {
      return null;
    }
  }
}
