package io.svcreg.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Whether a symbolic link inside a package tree stays inside it when followed: resolves the link
 * the way the kernel does (each component, following links inside the tree, {@code ..} going up),
 * so that chains such as {@code a -> ..} and {@code b -> a/..} are judged by where they really
 * lead, not by their text. The one walk for archives being verified and trees being extracted.
 */
public final class Containment {

  /** Most links followed while resolving one link (the kernel's limit is 40 too). */
  static final int MAX_HOPS = 40;

  /** The symbolic links of a tree, by their path relative to its root. */
  @FunctionalInterface
  interface Links {
    /** The target of the link at {@code path} ({@code /}-separated), or empty if it is no link. */
    Optional<String> target(String path) throws IOException;
  }

  private Containment() {}

  /** Why following {@code link} (a symbolic link below {@code root}) escapes, or empty if not. */
  public static Optional<String> escape(Path root, Path link) throws IOException {
    return escape(
        root.relativize(link).toString(),
        path -> {
          Path p = root.resolve(path);
          return Files.isSymbolicLink(p)
              ? Optional.of(Files.readSymbolicLink(p).toString())
              : Optional.empty();
        });
  }

  /**
   * Why following the link at {@code link} (a path relative to the tree's root) escapes the tree
   * whose links are {@code links}, or empty if not.
   */
  static Optional<String> escape(String link, Links links) throws IOException {
    List<String> current = new ArrayList<>(parts(link));
    current.remove(current.size() - 1);
    String first =
        links
            .target(link)
            .orElseThrow(() -> new IllegalArgumentException(link + " is not a symbolic link"));
    if (first.startsWith("/")) {
      return Optional.of("points to the absolute path " + first);
    }
    Deque<String> todo = new ArrayDeque<>();
    pushFront(todo, first);
    int hops = 0;
    while (!todo.isEmpty()) {
      String c = todo.pop();
      if (c.equals("..")) {
        if (current.isEmpty()) {
          return Optional.of("points outside the package (via " + first + ")");
        }
        current.remove(current.size() - 1);
        continue;
      }
      current.add(c);
      Optional<String> target = links.target(String.join("/", current));
      if (target.isPresent()) {
        if (++hops > MAX_HOPS) {
          return Optional.of("is part of a loop of symbolic links");
        }
        if (target.get().startsWith("/")) {
          return Optional.of("leads to the absolute path " + target.get());
        }
        current.remove(current.size() - 1);
        pushFront(todo, target.get());
      }
    }
    return Optional.empty();
  }

  /** The names of a {@code /}-separated path, without empty and {@code .} ones. */
  private static List<String> parts(String path) {
    List<String> parts = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        parts.add(part);
      }
    }
    return parts;
  }

  private static void pushFront(Deque<String> todo, String target) {
    List<String> parts = parts(target);
    for (int i = parts.size() - 1; i >= 0; i--) {
      todo.push(parts.get(i));
    }
  }
}
